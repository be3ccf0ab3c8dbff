/**
 * Telling "the other device is too busy to take us now" apart from an answer or from "it is not there".
 * A device past its connection limits (L21: per-host rate, connections being upgraded, open connections)
 * accepts the TCP connection and closes it at once, or resets a stream past its protocol's stream limit;
 * the dialer sees ECONNRESET, EPIPE or a libp2p reset/closed error. Those are worth retrying after a pause.
 * A refused port (ECONNREFUSED: nothing listening) is not busy, and neither is an answer (an AccessError).
 */

/** System error codes of a connection the other side accepted and then dropped. */
const BUSY_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED'])
/** A system code named in a wrapping error's message. */
const BUSY_MESSAGE = /\b(ECONNRESET|EPIPE|ECONNABORTED)\b/
/** libp2p 3 error names for a connection or stream the other side closed or reset before answering. */
const BUSY_NAMES = new Set([
  'StreamResetError', 'StreamAbortedError', 'StreamStateError', 'ConnectionClosedError', 'ConnectionClosingError',
  'MuxerClosedError', 'UnexpectedEOFError', 'TooManyOutboundProtocolStreamsError', 'TooManyInboundProtocolStreamsError',
])

/** Whether `err` (or an error it wraps) says the remote device dropped the connection or stream. */
export function isBusyPeerError(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false
  const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown }
  if (typeof e.code === 'string' && BUSY_CODES.has(e.code)) return true
  // The noise handshake reports the socket's reset only in its message ("read ECONNRESET"), without a cause.
  if (typeof e.message === 'string' && BUSY_MESSAGE.test(e.message)) return true
  if (typeof e.name === 'string' && BUSY_NAMES.has(e.name)) return true
  if (Array.isArray(e.errors) && e.errors.some((x) => isBusyPeerError(x, depth + 1))) return true
  return isBusyPeerError(e.cause, depth + 1)
}

/** Bounded retries with exponential backoff and full jitter, so a crowd that was refused together spreads out. */
export interface BusyRetry {
  /** Attempts in all, the first included. */
  readonly attempts: number
  /** The first pause's upper bound (ms); it doubles each time up to `maxDelayMs`. */
  readonly baseDelayMs: number
  readonly maxDelayMs: number
}

/** About 15 s of pauses at most before giving up. */
export const DEFAULT_BUSY_RETRY: BusyRetry = { attempts: 7, baseDelayMs: 250, maxDelayMs: 4000 }

/** The pause before retry number `retry` (1-based): uniform in [base/2, base * 2^(retry-1)], capped. */
export function busyRetryDelay(policy: BusyRetry, retry: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1))
  const floor = policy.baseDelayMs / 2
  return floor + random() * Math.max(0, cap - floor)
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error)
      return
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason as Error)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
