import { connect, type Socket } from 'node:net'

/** Sockets a test keeps open against a port, each reopened after the far side closes it. */
export interface SilentFlood {
  /** Connections opened so far (first opens and reopens). */
  readonly opened: number
  /** Sockets connected right now. */
  readonly connected: number
  /** Stops reopening and closes every socket. */
  stop(): Promise<void>
}

/** What a flood socket does once connected: nothing (a silent socket), or write a prefix then go silent. */
export interface SilentFloodOptions {
  host: string
  port: number
  /** Sockets kept open at once. */
  count: number
  /** Reopen a socket this many ms after the far side closed it; omit to open each once. */
  reopenMs?: number
  /** Local address the sockets come from (loopback: 127.0.0.x). */
  localAddress?: string
  /** Bytes written once connected (e.g. a WebSocket upgrade request), then nothing more. */
  prefix?: string
}

/** Opens `count` sockets that send nothing (beyond `prefix`) and keeps them open as the brief's attacker did. */
export function silentFlood(options: SilentFloodOptions): SilentFlood {
  let running = true
  let opened = 0
  let connected = 0
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  const open = (): void => {
    if (!running) return
    opened++
    const socket = connect({ host: options.host, port: options.port, ...(options.localAddress !== undefined && { localAddress: options.localAddress }) })
    sockets.add(socket)
    let wasConnected = false
    socket.on('connect', () => {
      wasConnected = true
      connected++
      if (options.prefix !== undefined) socket.write(options.prefix)
    })
    socket.on('data', () => {})
    socket.on('error', () => {})
    socket.on('close', () => {
      sockets.delete(socket)
      if (wasConnected) connected--
      if (!running || options.reopenMs === undefined) return
      const t = setTimeout(() => { timers.delete(t); open() }, options.reopenMs)
      timers.add(t)
    })
  }
  for (let i = 0; i < options.count; i++) open()
  return {
    get opened() { return opened },
    get connected() { return connected },
    async stop() {
      running = false
      for (const t of timers) clearTimeout(t)
      await Promise.all([...sockets].map((s) => new Promise<void>((r) => { s.once('close', () => r()); s.destroy() })))
    },
  }
}

/** A WebSocket upgrade request: after it, the relay's libp2p sees an inbound connection to upgrade. */
export const WS_UPGRADE_REQUEST = 'GET / HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
  + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'

/** `host` and `port` of a multiaddr such as /ip4/127.0.0.1/tcp/4001/p2p/... or an http:// URL. */
export function hostPort(address: string): { host: string; port: number } {
  const m = /^\/ip4\/([^/]+)\/tcp\/(\d+)/.exec(address)
  if (m) return { host: m[1]!, port: Number(m[2]) }
  const u = new URL(address)
  return { host: u.hostname, port: Number(u.port) }
}
