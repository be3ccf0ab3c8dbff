/**
 * Node 20 polyfills that libp2p 3 needs. Every Node entry point (CLI mains, peer-main) imports this module
 * first; libraries do not, so browsers and newer Nodes never load `ws`.
 */
// Error paths for every `ws` WebSocket, client and server (L22): loaded wherever `ws` can be.
import { NodeWebSocket } from './libp2p/ws-errors.js'

interface PromiseWithResolvers {
  withResolvers?: <T>() => { promise: Promise<T>; resolve: (v: T | PromiseLike<T>) => void; reject: (e?: unknown) => void }
}

const PromiseCtor = Promise as unknown as PromiseWithResolvers
if (typeof PromiseCtor.withResolvers !== 'function') {
  // libp2p 3 calls Promise.withResolvers (ES2024), which Node 20 lacks.
  PromiseCtor.withResolvers = <T>() => {
    let resolve!: (v: T | PromiseLike<T>) => void
    let reject!: (e?: unknown) => void
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

const g = globalThis as { WebSocket?: unknown }
if (g.WebSocket === undefined) {
  // @libp2p/websockets dials with the global WebSocket, which Node 20 has only behind a flag.
  // `ws` with a handshake timeout and a close for dials libp2p abandoned (see ws-errors.ts).
  g.WebSocket = NodeWebSocket
}

export {}
