/**
 * A libp2p ping (`/ipfs/ping/1.0.0`, answered by every Quire node's ping service) over one given
 * connection. The ping service's own `ping(peer)` lets the connection manager pick any connection to the
 * peer, which may be a healthy relayed one while the link we doubt stays untested.
 */
import type { Connection, StreamMessageEvent } from '@libp2p/interface'

export const PING_PROTOCOL = '/ipfs/ping/1.0.0'
const PING_LENGTH = 32

/** Round trip over `connection` in ms; rejects when the signal fires first or the answer is wrong. */
export async function pingOver(connection: Connection, signal: AbortSignal): Promise<number> {
  const stream = await connection.newStream(PING_PROTOCOL, { signal, runOnLimitedConnection: true })
  try {
    const sent = crypto.getRandomValues(new Uint8Array(PING_LENGTH))
    const start = Date.now()
    const echoed = new Promise<Uint8Array>((resolve, reject) => {
      const received = new Uint8Array(PING_LENGTH)
      let length = 0
      const done = (): void => {
        stream.removeEventListener('message', onMessage)
        stream.removeEventListener('close', onClose)
        signal.removeEventListener('abort', onAbort)
      }
      const onMessage = (event: StreamMessageEvent): void => {
        const bytes = event.data instanceof Uint8Array ? event.data : event.data.subarray()
        received.set(bytes.subarray(0, PING_LENGTH - length), length)
        length = Math.min(PING_LENGTH, length + bytes.length)
        if (length === PING_LENGTH) { done(); resolve(received) }
      }
      const onClose = (): void => { done(); reject(new Error('the ping stream closed before the answer came')) }
      const onAbort = (): void => { done(); reject(signal.reason instanceof Error ? signal.reason : new Error('ping aborted')) }
      stream.addEventListener('message', onMessage)
      stream.addEventListener('close', onClose)
      signal.addEventListener('abort', onAbort)
      if (signal.aborted) onAbort()
    })
    stream.send(sent)
    const answer = await echoed
    const rtt = Date.now() - start
    if (!answer.every((b, i) => b === sent[i])) throw new Error('the ping came back with other bytes')
    await stream.close({ signal })
    return rtt
  } catch (err) {
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  }
}
