/**
 * Error paths for every `ws` WebSocket in a Node process (L22). @libp2p/websockets is written for the WHATWG
 * WebSocket, whose `error` event is only an event: it listens for `close` and never for `error`. In Node it
 * runs on `ws`, an EventEmitter, where an `error` event with no listener is thrown as an uncaught exception.
 * A remote peer or the network can make `ws` emit one at any time:
 *
 * - server side, a client sends one malformed frame (an unmasked frame, a bad opcode): `ws` emits
 *   `WS_ERR_EXPECTED_MASK` and the daemon exits;
 * - client side, a dial that libp2p gives up on (its signal aborts while the upgrade request is pending)
 *   is neither closed nor listened to any more (@libp2p/websockets 10 `_connect` rethrows before `close()`
 *   on abort), so the server resetting or ending that request later (`read ECONNRESET`, `socket hang up`)
 *   is thrown.
 *
 * In both cases `ws` also emits `close` right after, which is what libp2p handles, so an `error` nobody
 * listens to carries no information a caller misses: it is counted and logged (the first, then at each
 * power of ten), as a browser would print it to its console. Listened-to errors are untouched.
 */
import type { EventEmitter } from 'node:events'
import { WebSocket as WsWebSocket } from 'ws'

let unheard = 0
let log: (line: string) => void = (line) => console.warn(line)

/** How many `ws` errors had no listener (and were dropped instead of thrown) in this process. */
export function unheardWebSocketErrors(): number {
  return unheard
}

/** Where the line for an unheard `ws` error goes (daemons pass their logger). Default: `console.warn`. */
export function setWebSocketErrorLog(line: (line: string) => void): void {
  log = line
}

function noteUnheard(error: unknown): void {
  unheard++
  if (Number.isInteger(Math.log10(unheard))) {
    const e = error as { message?: unknown; code?: unknown }
    log(`[quire] a WebSocket failed with nobody listening (${String(e?.message)}${typeof e?.code === 'string' ? `, ${e.code}` : ''}); ${unheard} so far. It is closed; the peer stays up.`)
  }
}

const proto = WsWebSocket.prototype as unknown as EventEmitter & { [patched]?: true }
const patched = Symbol.for('quire.ws-unheard-errors')
if (proto[patched] !== true) {
  // One class serves both `ws` clients (the WebSocket global, see polyfills.ts) and the sockets the
  // listener's WebSocketServer creates, so the prototype is the one place that covers both.
  const emit = proto.emit
  proto.emit = function (this: EventEmitter, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error' && this.listenerCount('error') === 0) {
      noteUnheard(args[0])
      return false
    }
    return emit.call(this, event, ...args)
  }
  proto[patched] = true
}

/** How long a WebSocket dial may wait for the server's upgrade response before it is closed (ms). */
export const WEBSOCKET_HANDSHAKE_TIMEOUT_MS = 30_000

/**
 * The WebSocket global for Node (polyfills.ts): `ws`, plus what a dial libp2p abandoned needs, since nobody
 * holds it any more: a handshake timeout (a server that never answers the upgrade would keep the socket
 * forever) and a close when it opens with nobody waiting for `open`.
 */
export class NodeWebSocket extends WsWebSocket {
  constructor(address: string | URL, protocols?: string | string[]) {
    super(address, protocols, { handshakeTimeout: WEBSOCKET_HANDSHAKE_TIMEOUT_MS })
    // Registered first, so it runs before any later listener: alone means nobody awaits this dial.
    this.on('open', () => {
      if (this.listenerCount('open') === 1 && this.onopen === null) this.close()
    })
  }
}
