import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo'

/**
 * Wraps a repo's storage so that it can be retired when the repo stops.
 *
 * Why: automerge-repo 2.5 saves per-peer sync states on a throttle timer that `Repo.shutdown()` neither
 * flushes nor cancels, so a sync-state save can fire after shutdown, hit a closed database and crash the
 * process with an unhandled rejection. Sync states are only a shortcut for the next sync (losing one costs
 * a round trip, never data), so once retired the wrapper drops sync-state saves; any other write after
 * shutdown is a real bug and still fails.
 */
export class StoppableStorage implements StorageAdapterInterface {
  readonly #inner: StorageAdapterInterface
  #retired = false

  constructor(inner: StorageAdapterInterface) {
    this.#inner = inner
  }

  /** From now on, late sync-state saves are dropped instead of reaching the (soon closed) storage. */
  retire(): void {
    this.#retired = true
  }

  load(key: StorageKey): Promise<Uint8Array | undefined> {
    return this.#inner.load(key)
  }

  save(key: StorageKey, data: Uint8Array): Promise<void> {
    if (this.#retired && key[1] === 'sync-state') return Promise.resolve()
    return this.#inner.save(key, data)
  }

  remove(key: StorageKey): Promise<void> {
    return this.#inner.remove(key)
  }

  loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    return this.#inner.loadRange(keyPrefix)
  }

  removeRange(keyPrefix: StorageKey): Promise<void> {
    return this.#inner.removeRange(keyPrefix)
  }
}
