/**
 * Orders storage operations by call time where it matters. LevelDB (through classic-level) runs each
 * operation on a thread pool, so two un-awaited `put`s of one key may land in either order; and a level
 * operation that waits behind our own bookkeeping could be overtaken by a later call. Here every write waits
 * for the earlier operations it overlaps with, and every read waits for the earlier overlapping writes, so
 * the last `save` called wins and a `load` sees every write called before it. Operations on different keys
 * never wait for each other, so LevelDB can still group their writes.
 */

/** An operation on one encoded key, or on every key starting with an encoded prefix when `range` is set. */
export interface OrderedOperation {
  readonly key: string
  readonly range: boolean
  readonly write: boolean
}

interface Pending extends OrderedOperation {
  readonly settled: Promise<void>
}

export class OperationOrder {
  // Exact-key operations are indexed by key, so a burst of saves to distinct keys costs O(1) each; range
  // operations (removeRange, loadRange) are rare and scanned.
  readonly #byKey = new Map<string, Set<Pending>>()
  readonly #ranges = new Set<Pending>()

  /**
   * Runs `fn` once every earlier overlapping write (and, for a write, every earlier overlapping read) has
   * settled. The operation is registered synchronously, so call order decides.
   */
  run<T>(op: OrderedOperation, fn: () => Promise<T>): Promise<T> {
    const before: Promise<void>[] = []
    const consider = (p: Pending): void => {
      if (op.write || p.write) before.push(p.settled)
    }
    for (const p of this.#ranges) {
      if (op.range ? p.key.startsWith(op.key) || op.key.startsWith(p.key) : op.key.startsWith(p.key)) consider(p)
    }
    if (op.range) {
      for (const [key, pendings] of this.#byKey) if (key.startsWith(op.key)) pendings.forEach(consider)
    } else {
      this.#byKey.get(op.key)?.forEach(consider)
    }

    const result = before.length === 0 ? fn() : Promise.all(before).then(fn)
    const entry: Pending = { ...op, settled: result.then(noop, noop) }
    this.#add(entry)
    void entry.settled.then(() => this.#remove(entry))
    return result
  }

  /** Resolves when every operation registered so far has settled. */
  async drain(): Promise<void> {
    for (;;) {
      const pending = [...this.#ranges, ...[...this.#byKey.values()].flatMap((set) => [...set])]
      if (pending.length === 0) return
      await Promise.all(pending.map((p) => p.settled))
    }
  }

  #add(entry: Pending): void {
    if (entry.range) {
      this.#ranges.add(entry)
      return
    }
    let set = this.#byKey.get(entry.key)
    if (set === undefined) this.#byKey.set(entry.key, (set = new Set()))
    set.add(entry)
  }

  #remove(entry: Pending): void {
    if (entry.range) {
      this.#ranges.delete(entry)
      return
    }
    const set = this.#byKey.get(entry.key)
    set?.delete(entry)
    if (set?.size === 0) this.#byKey.delete(entry.key)
  }
}

function noop(): void {}
