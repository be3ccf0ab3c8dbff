import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo'
import type { AbstractLevel } from 'abstract-level'
import { CrdtError } from '../errors.js'
import { decodeKey, encodeKey, prefixBounds } from './key-codec.js'
import { OperationOrder } from './operation-order.js'
import { describeCause, StorageFailedError, type StorageOperation } from './storage-error.js'

/**
 * Any abstract-level 3 database: classic-level (Node), browser-level (IndexedDB), memory-level (tests), or a
 * sublevel of one. Its default encodings do not matter: every operation names its own.
 */
// `any` on purpose: the database's own format and default key/value types never reach this adapter.
export type LevelDatabase = AbstractLevel<any, any, any>

/** Options of {@link LevelStorageAdapter}. */
export interface LevelStorageAdapterOptions {
  /**
   * Pass `{ sync: true }` to every write, so that a resolved `save`, `remove` or `removeRange` is on disk
   * (LevelDB fsyncs its log) and survives a crash of the process or the machine. Without it a write that
   * resolved may be lost if the machine (not just the process) dies. Cost, measured on this project's
   * 2-core machines with classic-level (1 KB values): about 1.1 ms per write awaited one after another
   * instead of about 0.12 ms; concurrent writes to different keys share fsyncs (LevelDB commits them as a
   * group), about 0.15 ms each for 300 at once. Backends without fsync (memory-level, browser-level) ignore
   * it. Default `false`.
   */
  sync?: boolean
  /**
   * Store everything under this sublevel of `db`, so several stores (documents, blobs) share one database
   * without seeing each other's keys. Names follow abstract-level's rules (printable characters after `!`).
   * Without it the adapter owns the whole database: a key it did not write makes `loadRange` fail.
   */
  sublevel?: string
  /**
   * Whether {@link LevelStorageAdapter.close} also closes the database handed to the constructor. Pass
   * `false` when other stores share it. Default `true`.
   */
  closeDatabase?: boolean
}

const ENCODINGS = { keyEncoding: 'utf8', valueEncoding: 'view' } as const

/**
 * An automerge-repo storage adapter over any abstract-level database.
 *
 * - Keys are arrays of arbitrary strings; ranges select exactly the keys whose first parts equal the prefix.
 * - The database opens lazily: the first operation opens it (or waits for the open that abstract-level
 *   starts in its constructor) and a failure to open surfaces as `STORAGE_FAILED` on that operation. Call
 *   {@link open} to find out early.
 * - Operations on overlapping keys take effect in call order: the last `save` called wins, a `load` sees every
 *   write called before it. `save` copies the bytes when called.
 * - {@link close} lets every operation already called finish, then closes; later calls fail.
 */
export class LevelStorageAdapter implements StorageAdapterInterface {
  readonly #database: LevelDatabase
  readonly #store: LevelDatabase
  readonly #writeOptions: { sync: boolean }
  readonly #closeDatabase: boolean
  readonly #order = new OperationOrder()
  #opening: Promise<void> | undefined
  #closing: Promise<void> | undefined

  constructor(db: LevelDatabase, options: LevelStorageAdapterOptions = {}) {
    this.#database = db
    this.#store = options.sublevel === undefined ? db : db.sublevel(options.sublevel, ENCODINGS)
    this.#writeOptions = { sync: options.sync === true }
    this.#closeDatabase = options.closeDatabase !== false
  }

  /** True once {@link close} has been called. */
  get closed(): boolean {
    return this.#closing !== undefined
  }

  /** Opens the database now rather than on first use; rejects with `STORAGE_FAILED` if it cannot. */
  open(): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(closedError('open', undefined))
    return this.#ensureOpen()
  }

  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    const encoded = encodeExactKey('load', key)
    return this.#run('load', key, { key: encoded, range: false, write: false }, async (db) => {
      const value = await db.get(encoded, ENCODINGS)
      return value === undefined ? undefined : plainCopy(value)
    })
  }

  async save(key: StorageKey, data: Uint8Array): Promise<void> {
    const encoded = encodeExactKey('save', key)
    if (!(data instanceof Uint8Array)) {
      throw new CrdtError('INVALID_ARGUMENT', `Storage save of key ${JSON.stringify(key)}: data must be a Uint8Array.`)
    }
    const copy = plainCopy(data)
    return this.#run('save', key, { key: encoded, range: false, write: true }, (db) =>
      db.put(encoded, copy, { ...ENCODINGS, ...this.#writeOptions }),
    )
  }

  async remove(key: StorageKey): Promise<void> {
    const encoded = encodeExactKey('remove', key)
    return this.#run('remove', key, { key: encoded, range: false, write: true }, (db) =>
      db.del(encoded, { keyEncoding: 'utf8', ...this.#writeOptions }),
    )
  }

  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    const encoded = encodePrefix('loadRange', keyPrefix)
    return this.#run('loadRange', keyPrefix, { key: encoded, range: true, write: false }, async (db) => {
      const entries = await db.iterator({ ...prefixBounds(keyPrefix), ...ENCODINGS }).all()
      return entries.map(([k, v]) => ({ key: decodeKey(k as string), data: plainCopy(v as Uint8Array) }))
    })
  }

  async removeRange(keyPrefix: StorageKey): Promise<void> {
    const encoded = encodePrefix('removeRange', keyPrefix)
    return this.#run('removeRange', keyPrefix, { key: encoded, range: true, write: true }, async (db) => {
      // One batch rather than clear(): a batch is atomic and honours `sync` on every backend.
      const keys = await db.keys({ ...prefixBounds(keyPrefix), keyEncoding: 'utf8' }).all()
      if (keys.length === 0) return
      await db.batch(
        keys.map((k) => ({ type: 'del' as const, key: k as string })),
        { keyEncoding: 'utf8', ...this.#writeOptions },
      )
    })
  }

  /**
   * Waits for every operation already called, then closes the database (unless `closeDatabase: false`).
   * Operations called afterwards reject with `STORAGE_FAILED`. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#order.drain()
      if (!this.#closeDatabase) return
      try {
        await this.#database.close()
      } catch (cause) {
        throw new StorageFailedError('close', undefined, describeCause(cause), cause)
      }
    })()
    return this.#closing
  }

  #ensureOpen(): Promise<void> {
    this.#opening ??= (async () => {
      try {
        await this.#database.open()
        if (this.#store !== this.#database) await this.#store.open()
      } catch (cause) {
        // Forget the failure so that a later call retries (the lock may have been released meanwhile).
        this.#opening = undefined
        throw new StorageFailedError('open', undefined, describeCause(cause), cause)
      }
    })()
    return this.#opening
  }

  #run<T>(
    operation: StorageOperation,
    key: StorageKey,
    order: { key: string; range: boolean; write: boolean },
    fn: (db: LevelDatabase) => Promise<T>,
  ): Promise<T> {
    if (this.#closing !== undefined) return Promise.reject(closedError(operation, key))
    return this.#order.run(order, async () => {
      try {
        await this.#ensureOpen()
      } catch (error) {
        const cause = error instanceof StorageFailedError ? error.cause : error
        throw new StorageFailedError(operation, key, `the database did not open (${describeCause(cause)})`, cause)
      }
      try {
        return await fn(this.#store)
      } catch (cause) {
        throw new StorageFailedError(operation, key, describeCause(cause), cause)
      }
    })
  }
}

function closedError(operation: StorageOperation, key: readonly string[] | undefined): StorageFailedError {
  return new StorageFailedError(operation, key, 'the storage adapter is closed (open a new one)')
}

function checkParts(operation: StorageOperation, key: unknown): asserts key is string[] {
  if (!Array.isArray(key) || !key.every((part) => typeof part === 'string')) {
    throw new CrdtError('INVALID_ARGUMENT', `Storage ${operation}: a key must be an array of strings, got ${JSON.stringify(key)}.`)
  }
}

function encodeExactKey(operation: StorageOperation, key: StorageKey): string {
  checkParts(operation, key)
  if (key.length === 0) {
    throw new CrdtError('INVALID_ARGUMENT', `Storage ${operation}: a key needs at least one part.`)
  }
  return encodeKey(key)
}

function encodePrefix(operation: StorageOperation, prefix: StorageKey): string {
  checkParts(operation, prefix)
  return encodeKey(prefix)
}

// Backends return Buffers (classic-level) or their stored array itself (memory-level); callers get a plain
// Uint8Array of their own that no one else can mutate.
function plainCopy(value: Uint8Array): Uint8Array {
  return new Uint8Array(value)
}
