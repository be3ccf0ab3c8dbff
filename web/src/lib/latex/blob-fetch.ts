/**
 * Fetching a build output blob. The document that names it can arrive before the blob is reachable (the
 * compute peer wrote both a moment ago, or the member who holds it is reconnecting), so a failed fetch is
 * tried again, more slowly each time, until it works or the view no longer wants it.
 */

export interface BlobGetter {
  get(hash: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>
}

/** Waits `ms`, or rejects when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = (): void => { clearTimeout(timer); reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * The blob's bytes. Retries at 0.5 s, 1 s, 2 s … (at most `maxDelayMs` apart) and calls `onRetry` with each
 * failure, so the view can say it is still waiting; rejects only when `signal` aborts.
 */
export async function fetchBlob(
  blobs: BlobGetter, hash: string, signal: AbortSignal, onRetry?: (error: unknown) => void, maxDelayMs = 5000,
): Promise<Uint8Array> {
  let delay = Math.min(500, maxDelayMs)
  for (;;) {
    signal.throwIfAborted()
    try {
      return await blobs.get(hash, { signal })
    } catch (err) {
      signal.throwIfAborted()
      onRetry?.(err)
    }
    await pause(delay, signal)
    delay = Math.min(maxDelayMs, delay * 2)
  }
}
