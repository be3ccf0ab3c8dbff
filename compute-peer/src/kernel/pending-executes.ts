import type { ExecuteReply, KernelOutput } from './types.js'

interface Entry {
  readonly onOutput: (output: KernelOutput) => void
  /** Stream characters still allowed (Infinity: no limit). */
  streamRoom: number
  /** Bytes of stream output dropped past the limit (message content, as received). */
  droppedBytes: number
  /** Messages over this many bytes were dropped while it ran (see `lost`); 0: none. */
  lost: number
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

/** Said where a cell's output is cut (X1); the total dropped is said when the cell ends. */
const CUT_NOTICE = '[output truncated: this cell printed more than this compute peer keeps; the rest is dropped while it keeps running]'

function formatDropped(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round(bytes / (1024 * 1024))} MB`
  return `${Math.max(1, Math.round(bytes / 1024))} KB`
}

/**
 * How long to wait for a request's idle status after its reply before resolving anyway. The idle status
 * normally follows the reply within a millisecond; it is missing when iopub lost messages (an oversized
 * message reopens the channel, X1), and then the news of that loss, which comes as a ZeroMQ monitor event,
 * can be seconds late on a busy machine: a 1 s wait let the cell end before it, without its notice.
 */
const IDLE_AFTER_REPLY_MS = 10_000
/** How long an abandoned (aborted by its caller) request may take to stop before its promise rejects anyway. */
const ABANDON_WAIT_MS = 3000

/**
 * The execute requests in flight on one kernel, keyed by msg_id. A request resolves when both its
 * execute_reply (shell) and its idle status (iopub) have arrived: the two channels are not ordered, and
 * waiting for idle is what guarantees every output was delivered first.
 */
export class PendingExecutes {
  readonly #entries = new Map<string, Entry>()

  add(id: string, onOutput: (output: KernelOutput) => void, signal: AbortSignal | undefined, interrupt: () => void, maxStreamChars = Infinity): Promise<ExecuteReply> {
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
        streamRoom: maxStreamChars,
        droppedBytes: 0,
        lost: 0,
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
    if (output.type === 'stream' && output.text.length > entry.streamRoom) {
      const kept = output.text.slice(0, entry.streamRoom)
      const limit = entry.droppedBytes === 0 && entry.streamRoom !== Infinity
      entry.droppedBytes += Buffer.byteLength(output.text) - Buffer.byteLength(kept)
      entry.streamRoom = 0
      if (kept.length > 0) this.#deliver(entry, { ...output, text: kept })
      if (limit) this.#deliver(entry, { type: 'stream', name: 'stderr', text: `\n${CUT_NOTICE}\n` })
      return
    }
    if (output.type === 'stream') entry.streamRoom -= output.text.length
    this.#deliver(entry, output)
  }

  /** Whether stream output of request `id` is past its limit: the caller drops it unread (see `dropped`). */
  dropsStream(id: string): boolean {
    const entry = this.#entries.get(id)
    return entry !== undefined && entry.streamRoom === 0 && entry.droppedBytes > 0
  }

  /**
   * The kernel sent a message too big to receive (over `maxBytes`): it was dropped, with whatever else was
   * in flight. Charged to every request that is running (the message's parent is unknown), and said when
   * the request ends: a kernel that dies also drops the connection, and its requests end in `abortAll`.
   */
  lost(maxBytes: number): void {
    for (const [id, entry] of this.#entries) {
      if (!entry.started || entry.settled) continue
      entry.lost = maxBytes
      // Its idle status went with the lost messages: waiting for it any longer is pointless.
      if (entry.reply !== undefined) this.#finish(id, entry)
    }
  }

  /** Counts stream output of request `id` dropped unread. */
  dropped(id: string, bytes: number): void {
    const entry = this.#entries.get(id)
    if (entry) entry.droppedBytes += bytes
  }

  #deliver(entry: Entry, output: KernelOutput): void {
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
    if (!entry.settled && !entry.abandoned) {
      if (entry.lost > 0) {
        this.#deliver(entry, { type: 'stream', name: 'stderr', text: `\n[output truncated: this cell sent an output message over ${formatDropped(entry.lost)}, which was dropped with what came with it]\n` })
      }
      if (entry.droppedBytes > 0) this.#deliver(entry, { type: 'stream', name: 'stderr', text: `[output truncated: ${formatDropped(entry.droppedBytes)} dropped]\n` })
    }
    this.#entries.delete(id)
    entry.detach()
    if (!entry.settled) {
      if (entry.abandoned) entry.reject()
      else if (entry.reply) entry.resolve(entry.reply)
    }
    entry.settled = true
  }
}
