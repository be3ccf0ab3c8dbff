/**
 * A few slots shared round-robin among keys (peers): each key waits behind at most one turn of every other
 * key, however many requests it has queued itself. The relay's document writes go through it, so a peer
 * whose documents need hundreds of writes does not queue a member's one write behind all of them.
 */
export class FairSlots {
  readonly #max: number
  #busy = 0
  /** Waiting requests per key; Map order is the round-robin order. */
  readonly #waiting = new Map<string, Array<() => void>>()

  constructor(max: number) {
    this.#max = max
  }

  /** Resolves with a release function once a slot is free and it is `key`'s turn. */
  async acquire(key: string): Promise<() => void> {
    if (this.#busy < this.#max && this.#waiting.size === 0) {
      this.#busy++
      return this.#releaser()
    }
    await new Promise<void>((resolve) => {
      const queue = this.#waiting.get(key)
      if (queue === undefined) this.#waiting.set(key, [resolve])
      else queue.push(resolve)
    })
    return this.#releaser()
  }

  #releaser(): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      this.#busy--
      this.#next()
    }
  }

  #next(): void {
    while (this.#busy < this.#max && this.#waiting.size > 0) {
      const [key, queue] = this.#waiting.entries().next().value as [string, Array<() => void>]
      const resolve = queue.shift()!
      // The key goes to the back of the round, with what it still has waiting.
      this.#waiting.delete(key)
      if (queue.length > 0) this.#waiting.set(key, queue)
      this.#busy++
      resolve()
    }
  }
}
