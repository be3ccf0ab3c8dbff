/**
 * An abort signal for one dial that stops mattering once the dial is done. `AbortSignal.timeout` would do
 * for the dial itself, but libp2p hands the dial's signal down to what the dial creates (the WebRTC
 * transport reads its signaling stream with it), and a signal that fires later closed healthy WebRTC
 * connections on the dialing side only, leaving the other side with a dead connection it believed open.
 */
export async function withDialTimeout<T>(ms: number, dial: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new Error(`the dial did not finish within ${ms} ms`)), ms)
  try {
    return await dial(controller.signal)
  } finally {
    clearTimeout(timer)
  }
}
