/**
 * Build on pause: every local edit restarts a timer, and when typing has paused that long one build is asked
 * for. Remote edits do not count: each writer's browser asks for its own edits, and the compute peer folds
 * requests that arrive during a build into one follow-up.
 */

export interface PauseBuilderInit {
  /** How long typing must pause, in milliseconds. */
  readonly pauseMs: number
  /** Read when the pause ends: the setting, and whether this person may build at all. */
  readonly enabled: () => boolean
  readonly build: () => void
}

/** The pause after the last keystroke before a build is asked for. */
export const DEFAULT_BUILD_PAUSE_MS = 1500

export class PauseBuilder {
  readonly #init: PauseBuilderInit
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(init: PauseBuilderInit) {
    this.#init = init
  }

  /** A local edit: (re)starts the pause. */
  edited(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      if (this.#init.enabled()) this.#init.build()
    }, this.#init.pauseMs)
  }

  /** A build asked for by hand (the button) makes the pending one needless. */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  get pending(): boolean {
    return this.#timer !== undefined
  }
}
