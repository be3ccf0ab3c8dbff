import type { ExecuteReply, KernelOutput } from './types.js'

interface Entry {
  readonly onOutput: (output: KernelOutput) => void
  readonly resolve: (reply: ExecuteReply) => void
  readonly reject: () => void
  readonly interrupt: () => void
  readonly detach: () => void
  reply?: ExecuteReply
  idle: boolean
  started: boolean
  /** The caller's signal fired: outputs are dropped, the cell is interrupted once it runs, the promise rejects. */
  abandoned: boolean
  settled: boolean
  timer?: NodeJS.Timeout
}

/** How long to wait for a request's idle status after its reply before resolving anyway. */
const IDLE_AFTER_REPLY_MS = 1000
/** How long an abandoned (aborted by its caller) request may take to stop before its promise rejects anyway. */
const ABANDON_WAIT_MS = 3000

/**
 * The execute requests in flight on one kernel, keyed by msg_id. A request resolves when both its
 * execute_reply (shell) and its idle status (iopub) have arrived: the two channels are not ordered, and
 * waiting for idle is what guarantees every output was delivered first.
 */
export class PendingExecutes {
  readonly #entries = new Map<string, Entry>()

  add(id: string, onOutput: (output: KernelOutput) => void, signal: AbortSignal | undefined, interrupt: () => void): Promise<ExecuteReply> {
    return new Promise<ExecuteReply>((resolve, reject) => {
      const onAbort = () => {
        const entry = this.#entries.get(id)
        if (!entry || entry.abandoned) return
        entry.abandoned = true
        if (entry.started) interrupt()
        // Settle once the interrupted cell has stopped, so the caller's next execute is not aborted by the
        // kernel (stop_on_error aborts what is queued behind a failing cell); a kernel deaf to interrupts
        // still releases the caller after a while.
        clearTimeout(entry.timer)
        entry.timer = setTimeout(() => {
          // Kept in the map: if it has not started yet, it is interrupted when it does.
          if (!entry.settled) entry.reject()
          entry.settled = true
        }, ABANDON_WAIT_MS)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#entries.set(id, {
        onOutput,
        resolve,
        reject: () => reject(signal!.reason),
        interrupt,
        detach: () => signal?.removeEventListener('abort', onAbort),
        idle: false,
        started: false,
        abandoned: false,
        settled: false,
      })
    })
  }

  started(id: string): void {
    const entry = this.#entries.get(id)
    if (!entry) return
    entry.started = true
    if (entry.abandoned) entry.interrupt()
  }

  output(id: string, output: KernelOutput): void {
    const entry = this.#entries.get(id)
    if (!entry || entry.settled || entry.abandoned) return
    try {
      entry.onOutput(output)
    } catch {
      // The caller's bug must not stop the kernel's message loop.
    }
  }

  idle(id: string): void {
    const entry = this.#entries.get(id)
    if (!entry) return
    entry.idle = true
    if (entry.reply) this.#finish(id, entry)
  }

  replied(id: string, reply: ExecuteReply): void {
    const entry = this.#entries.get(id)
    if (!entry) return
    entry.reply = reply
    if (entry.idle) this.#finish(id, entry)
    else if (!entry.abandoned) entry.timer = setTimeout(() => this.#finish(id, entry), IDLE_AFTER_REPLY_MS)
  }

  /** Resolves every request still in flight as `aborted` (death, restart, shutdown). */
  abortAll(reason: string): void {
    for (const [id, entry] of this.#entries) {
      this.#entries.delete(id)
      clearTimeout(entry.timer)
      entry.detach()
      if (!entry.settled && entry.abandoned) entry.reject()
      else if (!entry.settled) entry.resolve({ status: 'aborted', executionCount: null, reason })
      entry.settled = true
    }
  }

  #finish(id: string, entry: Entry): void {
    clearTimeout(entry.timer)
    this.#entries.delete(id)
    entry.detach()
    if (!entry.settled) {
      if (entry.abandoned) entry.reject()
      else if (entry.reply) entry.resolve(entry.reply)
    }
    entry.settled = true
  }
}
