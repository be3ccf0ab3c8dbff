/** How many builds run at once on this compute peer (TeX is single-threaded; more would only share the cores). */
export class BuildSlots {
  readonly #max: number
  #running = 0
  readonly #waiting: Array<() => void> = []

  constructor(max: number) {
    this.#max = Math.max(1, max)
  }

  /** Runs `job` once a slot is free; the slot is released when it settles. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#max) await new Promise<void>((resolve) => this.#waiting.push(resolve))
    else this.#running++
    try {
      return await job()
    } finally {
      const next = this.#waiting.shift()
      if (next !== undefined) next()
      else this.#running--
    }
  }
}
