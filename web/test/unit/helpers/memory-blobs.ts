import type { BlobStore } from '../../../src/lib/files/file-ops.js'

/** An in-memory blob store keyed by real sha-256, like the app's. */
export class MemoryBlobs implements BlobStore {
  readonly blobs = new Map<string, Uint8Array>()

  async put(bytes: Uint8Array): Promise<string> {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource))
    const hash = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
    this.blobs.set(hash, new Uint8Array(bytes))
    return hash
  }

  async get(hash: string): Promise<Uint8Array> {
    const bytes = this.blobs.get(hash)
    if (!bytes) throw new Error(`no blob ${hash}`)
    return bytes
  }
}
