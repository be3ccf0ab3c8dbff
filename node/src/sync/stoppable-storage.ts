import type { Chunk, StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo'

/**
 * Wraps a repo's storage so that it can be retired when the repo stops.
 *
 * Why: automerge-repo 2.5 saves per-peer sync states on a throttle timer that `Repo.shutdown()` neither
 * flushes nor cancels, so a sync-state save can fire after shutdown, hit a closed database and crash the
 * process with an unhandled rejection. Sync states are only a shortcut for the next sync (losing one costs
 * a round trip, never data), so once retired the wrapper drops sync-state saves, and a compaction's removal
 * that fails on the closed database is ignored (the chunk stays, and loads merge it); a save of document data
 * after shutdown is a real bug and still fails.
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

  // Removals after shutdown come from compaction (old chunks replaced by a snapshot already saved): one that
  // meets a closed database leaves a redundant chunk, which the next load merges; no data is lost.
  remove(key: StorageKey): Promise<void> {
    const removing = this.#inner.remove(key)
    return this.#retired ? removing.catch(() => undefined) : removing
  }

  loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    return this.#inner.loadRange(keyPrefix)
  }

  removeRange(keyPrefix: StorageKey): Promise<void> {
    const removing = this.#inner.removeRange(keyPrefix)
    return this.#retired ? removing.catch(() => undefined) : removing
  }
}
