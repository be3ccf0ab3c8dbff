/**
 * The time now, as a reactive value that ticks only while something on screen reads it (a running cell's
 * elapsed time). With no running cell nothing reads it and no timer runs.
 */
import { createSubscriber } from 'svelte/reactivity'

export class Clock {
  readonly #read: () => number
  readonly #subscribe: () => void

  constructor(intervalMs = 250, read: () => number = Date.now) {
    this.#read = read
    this.#subscribe = createSubscriber((update) => {
      const timer = setInterval(update, intervalMs)
      return () => clearInterval(timer)
    })
  }

  get now(): number {
    this.#subscribe()
    return this.#read()
  }
}
