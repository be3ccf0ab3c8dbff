/**
 * Output data kept as content-addressed blobs, fetched once per notebook view through the app's blob store
 * and handed to the DOM as object URLs (images) or text (HTML, LaTeX, JSON). Object URLs are revoked when
 * the view goes away, so a long session does not leak every image it ever showed.
 */
import type { OutputBlobRef } from '@quire/crdt'
import type { BlobStore } from './types.js'

export class BlobUrls {
  readonly #store: Pick<BlobStore, 'get'>
  readonly #bytes = new Map<string, Promise<Uint8Array>>()
  readonly #urls = new Map<string, Promise<string>>()
  readonly #created: string[] = []
  #disposed = false

  constructor(store: Pick<BlobStore, 'get'>) {
    this.#store = store
  }

  /** The blob's bytes; a failed fetch is forgotten so that the next render tries again. */
  bytes(ref: OutputBlobRef): Promise<Uint8Array> {
    let pending = this.#bytes.get(ref.blob)
    if (!pending) {
      pending = this.#store.get(ref.blob)
      this.#bytes.set(ref.blob, pending)
      pending.catch(() => this.#bytes.delete(ref.blob))
    }
    return pending
  }

  /** The blob as UTF-8 text (for text, HTML, LaTeX and JSON types). */
  async text(ref: OutputBlobRef): Promise<string> {
    return new TextDecoder().decode(await this.bytes(ref))
  }

  /** An object URL with the reference's media type, valid until {@link dispose}. */
  url(ref: OutputBlobRef, mime: string = ref.mime): Promise<string> {
    const key = `${ref.blob} ${mime}`
    let pending = this.#urls.get(key)
    if (!pending) {
      pending = this.bytes(ref).then((bytes) => {
        if (this.#disposed) throw new Error('This notebook view was closed.')
        const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mime }))
        this.#created.push(url)
        return url
      })
      this.#urls.set(key, pending)
      pending.catch(() => this.#urls.delete(key))
    }
    return pending
  }

  dispose(): void {
    this.#disposed = true
    for (const url of this.#created.splice(0)) URL.revokeObjectURL(url)
    this.#urls.clear()
    this.#bytes.clear()
  }
}
