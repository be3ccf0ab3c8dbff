import type { AbstractLevel, AbstractSublevel } from 'abstract-level'
import { BlobError } from './errors.js'
import { assertBlobHash, sha256Hex } from './hash.js'

/** Options of {@link BlobStore}. */
export interface BlobStoreOptions {
  /** Sublevel of the database that holds blobs (the documents live in another). Default `blobs`. */
  sublevel?: string
  /** Bytes per stored chunk, so a blob is read and sent piece by piece. Default 256 KiB. */
  chunkBytes?: number
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyLevel = AbstractLevel<any, any, any>
type Store = AbstractSublevel<AnyLevel, unknown, string, Uint8Array>

const META = 'meta'
const chunkKey = (hash: string, index: number): string => `${hash}/c${String(index).padStart(8, '0')}`

/**
 * Content-addressed blobs in an abstract-level database (classic-level, browser-level, memory-level),
 * keyed by sha-256. A blob is written in one batch after its hash is checked, so a reader never sees
 * part of one and a wrong one is never stored.
 */
export class BlobStore {
  readonly #store: Store
  readonly #chunkBytes: number

  constructor(db: AnyLevel, options: BlobStoreOptions = {}) {
    this.#store = db.sublevel<string, Uint8Array>(options.sublevel ?? 'blobs', { keyEncoding: 'utf8', valueEncoding: 'view' }) as Store
    this.#chunkBytes = options.chunkBytes ?? 256 * 1024
  }

  /** The size in bytes of a stored blob, or undefined if it is not here. */
  async size(hash: string): Promise<number | undefined> {
    assertBlobHash(hash)
    const meta = await this.#store.get(`${hash}/${META}`)
    if (meta === undefined) return undefined
    return (JSON.parse(new TextDecoder().decode(meta)) as { size: number }).size
  }

  async has(hash: string): Promise<boolean> {
    return (await this.size(hash)) !== undefined
  }

  /**
   * Stores `bytes` and returns their hash. With `expectedHash`, bytes that hash otherwise are refused with
   * `HASH_MISMATCH` and nothing is written.
   */
  async put(bytes: Uint8Array, expectedHash?: string): Promise<string> {
    if (expectedHash !== undefined) assertBlobHash(expectedHash)
    const hash = await sha256Hex(bytes)
    if (expectedHash !== undefined && hash !== expectedHash) {
      throw new BlobError('HASH_MISMATCH', `received bytes hash to ${hash}, not ${expectedHash}`)
    }
    if (await this.has(hash)) return hash
    const batch = this.#store.batch()
    let index = 0
    for (let offset = 0; offset < bytes.byteLength; offset += this.#chunkBytes) {
      batch.put(chunkKey(hash, index++), bytes.subarray(offset, offset + this.#chunkBytes))
    }
    batch.put(`${hash}/${META}`, new TextEncoder().encode(JSON.stringify({ size: bytes.byteLength, chunks: index })))
    await batch.write()
    return hash
  }

  /** The stored chunks of a blob in order; throws `BLOB_NOT_FOUND` if absent. */
  async *chunks(hash: string): AsyncGenerator<Uint8Array> {
    if (!(await this.has(hash))) throw new BlobError('BLOB_NOT_FOUND', `no blob ${hash} here`)
    for await (const value of this.#store.values({ gte: `${hash}/c`, lt: `${hash}/d` })) yield value
  }

  /** The whole blob, or undefined if it is not here. */
  async get(hash: string): Promise<Uint8Array | undefined> {
    const size = await this.size(hash)
    if (size === undefined) return undefined
    const out = new Uint8Array(size)
    let offset = 0
    for await (const chunk of this.chunks(hash)) {
      out.set(chunk, offset)
      offset += chunk.byteLength
    }
    return out
  }

  async delete(hash: string): Promise<void> {
    assertBlobHash(hash)
    const batch = this.#store.batch()
    for await (const key of this.#store.keys({ gte: `${hash}/`, lt: `${hash}0` })) batch.del(key)
    await batch.write()
  }
}
