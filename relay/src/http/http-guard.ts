import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http'
import type { Server as NetServer, Socket } from 'node:net'
import { hostOfIp } from '@quire/node'

/** Limits on the plain HTTP connections of a WebSocket listener's port (RL58). */
export interface HttpGuardLimits {
  /** A complete request head (or WebSocket upgrade) must arrive within this of connecting or of the last response (ms). */
  headersTimeoutMs: number
  /** An idle keep-alive connection is closed after this (ms). */
  keepAliveTimeoutMs: number
  /** A plain HTTP connection without traffic this long is closed (ms). */
  idleTimeoutMs: number
  /** Plain HTTP connections open at once on the port; newer ones are closed at once. */
  maxConnections: number
  /** Plain HTTP connections open at once from one host; newer ones are closed at once. */
  maxConnectionsPerHost: number
}

/** What the guard has done, for /metrics. */
export interface HttpGuardStats {
  /** Plain HTTP connections open now. */
  open: number
  /** Connections closed on arrival: over the total or the per-host cap. */
  refused: number
  /** Connections closed because their request head did not arrive in time. */
  timedOut: number
}

interface Tracked {
  host: string
  timer?: NodeJS.Timeout
}

/**
 * Guards the port of one @libp2p/websockets listener. Why here and not Node's own server options: the
 * listener's raw `net.Server` waits for a connection's first byte before handing it to its HTTP server, so a
 * silent socket never reaches HTTP at all; and Node enforces `headersTimeout` and `requestTimeout` only on
 * an HTTP server that listens itself, which libp2p's does not (it is fed sockets). So the guard counts and
 * times connections at the raw server, from their first moment, until they become WebSockets (libp2p's
 * upgrade limits take over, RL55 to RL57) or close. Node's socket `timeout` and `keepAliveTimeout` do work on
 * a fed server and are set on it; `ws` clears the socket timeout of an upgraded connection.
 */
export class HttpGuard {
  private readonly tracked = new Map<Socket, Tracked>()
  private readonly perHost = new Map<string, number>()
  private refused = 0
  private timedOut = 0
  private readonly detach: Array<() => void> = []

  constructor(raw: NetServer, http: HttpServer, private readonly limits: HttpGuardLimits) {
    http.timeout = limits.idleTimeoutMs
    http.keepAliveTimeout = limits.keepAliveTimeoutMs
    // Not enforced on a server that does not listen (see above), set so they say the same as the guard.
    http.headersTimeout = limits.headersTimeoutMs
    http.requestTimeout = Math.max(limits.headersTimeoutMs, limits.idleTimeoutMs)
    const onConnection = (socket: Socket): void => this.accept(socket)
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      const socket = req.socket as Socket
      this.clearDeadline(socket)
      // The next request on a kept-alive connection gets a fresh deadline for its head.
      res.once('finish', () => this.startDeadline(socket))
    }
    const onUpgrade = (req: IncomingMessage): void => this.release(req.socket as Socket)
    raw.on('connection', onConnection)
    http.on('request', onRequest)
    http.on('upgrade', onUpgrade)
    this.detach.push(() => {
      raw.off('connection', onConnection)
      http.off('request', onRequest)
      http.off('upgrade', onUpgrade)
    })
  }

  stats(): HttpGuardStats {
    return { open: this.tracked.size, refused: this.refused, timedOut: this.timedOut }
  }

  /** Stops guarding and closes the plain HTTP connections still open (WebSockets are libp2p's). */
  stop(): void {
    for (const d of this.detach.splice(0)) d()
    for (const socket of [...this.tracked.keys()]) {
      this.release(socket)
      socket.destroy()
    }
  }

  private accept(socket: Socket): void {
    const host = hostOfIp(socket.remoteAddress ?? '')
    const fromHost = this.perHost.get(host) ?? 0
    if (this.tracked.size >= this.limits.maxConnections || fromHost >= this.limits.maxConnectionsPerHost) {
      this.refused++
      socket.destroy()
      return
    }
    this.perHost.set(host, fromHost + 1)
    this.tracked.set(socket, { host })
    socket.once('close', () => this.release(socket))
    this.startDeadline(socket)
  }

  private startDeadline(socket: Socket): void {
    const t = this.tracked.get(socket)
    if (t === undefined) return
    clearTimeout(t.timer)
    t.timer = setTimeout(() => {
      this.timedOut++
      socket.destroy()
    }, this.limits.headersTimeoutMs)
    t.timer.unref()
  }

  private clearDeadline(socket: Socket): void {
    const t = this.tracked.get(socket)
    if (t === undefined) return
    clearTimeout(t.timer)
    t.timer = undefined
  }

  /** The connection closed or became a WebSocket: it no longer counts as plain HTTP. */
  private release(socket: Socket): void {
    const t = this.tracked.get(socket)
    if (t === undefined) return
    clearTimeout(t.timer)
    this.tracked.delete(socket)
    const left = (this.perHost.get(t.host) ?? 1) - 1
    if (left <= 0) this.perHost.delete(t.host)
    else this.perHost.set(t.host, left)
  }
}
