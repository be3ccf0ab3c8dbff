/**
 * How many kernels run at once on this compute peer. A notebook that needs a kernel when every slot is taken
 * first asks the holders to give up an idle kernel (the least recently used one goes), else waits its turn.
 */

/** A notebook holding a slot, which may be asked to give it back. */
export interface SlotHolder {
  /** When its kernel last ran a cell (ms since 1970). */
  readonly lastUsed: number
  /** True if its kernel runs nothing now and could be stopped. */
  readonly idle: boolean
  /** Stops the kernel and releases the slot. */
  evict(reason: string): Promise<void>
}

export class KernelSlots {
  readonly #max: number
  readonly #held = new Set<SlotHolder>()
  readonly #waiting: Array<{ holder: SlotHolder; resolve: () => void; reject: (e: unknown) => void }> = []

  constructor(max: number) {
    this.#max = Math.max(1, max)
  }

  get used(): number {
    return this.#held.size
  }

  get max(): number {
    return this.#max
  }

  /** Resolves when `holder` has a slot (at once if one is free or an idle kernel can be stopped). */
  async acquire(holder: SlotHolder, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#held.has(holder)) return
    if (this.#held.size < this.#max) {
      this.#held.add(holder)
      return
    }
    const waiting = new Promise<void>((resolve, reject) => {
      this.#waiting.push({ holder, resolve, reject })
      options.signal?.addEventListener('abort', () => {
        const i = this.#waiting.findIndex((w) => w.holder === holder)
        if (i >= 0) this.#waiting.splice(i, 1)
        reject(options.signal?.reason)
      }, { once: true })
    })
    const idle = [...this.#held].filter((h) => h.idle).sort((a, b) => a.lastUsed - b.lastUsed)[0]
    if (idle !== undefined) await idle.evict(`stopped to make room for another notebook (at most ${this.#max} kernels run at once)`).catch(() => {})
    return waiting
  }

  /** Gives a slot back; the first waiting notebook gets it. */
  release(holder: SlotHolder): void {
    if (!this.#held.delete(holder)) return
    const next = this.#waiting.shift()
    if (next !== undefined) {
      this.#held.add(next.holder)
      next.resolve()
    }
  }
}
