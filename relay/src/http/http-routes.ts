import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http'
import type { Server as NetServer } from 'node:net'
import type { QuireNode } from '@quire/node'
import { RelayError } from '../errors.js'
import type { RelayStats } from '../relay-stats.js'
import { prometheusText } from './metrics.js'
import { serveStatic } from './static-files.js'
import { HttpGuard, type HttpGuardLimits } from './http-guard.js'

/** What the HTTP routes need from the relay. */
export interface HttpRoutesInit {
  stats: () => RelayStats
  staticRoot?: string
  /** The body of `GET /quire.json` (RL33): the relay's peer id and browser-dialable addresses, plus the web config. */
  quireJson?: () => Record<string, unknown>
}

/** `/healthz`, `/metrics`, `/quire.json`, and the web app's static files for everything else. */
export function httpRoutes(init: HttpRoutesInit): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    void route(init, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      res.end(`internal error: ${(err as Error).message}\n`)
    })
  }
}

async function route(init: HttpRoutesInit, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('only GET and HEAD\n')
    return
  }
  const path = (req.url ?? '/').split('?')[0]
  if (path === '/healthz') {
    const s = init.stats()
    const body = JSON.stringify({
      ok: true, peerId: s.peerId, uptimeSeconds: s.uptimeSeconds,
      documentsHosted: s.documentsHosted, documentsLoaded: s.documentsLoaded, connectedPeers: s.connectedPeers,
    })
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    res.end(req.method === 'HEAD' ? undefined : body + '\n')
    return
  }
  if (path === '/quire.json' && init.quireJson !== undefined) {
    // Public facts (peer id, addresses, the operator's web config); a web app on another origin (a dev
    // server) may read them too.
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'access-control-allow-origin': '*' })
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify(init.quireJson()) + '\n')
    return
  }
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' })
    res.end(req.method === 'HEAD' ? undefined : prometheusText(init.stats()))
    return
  }
  if (init.staticRoot !== undefined && await serveStatic(init.staticRoot, req, res)) return
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n')
}

interface WebSocketListenerLike {
  http?: Server
  /** The raw TCP server in front of `http` (it hands each socket over after its first byte). */
  server?: NetServer
  getAddrs(): Array<{ toString(): string }>
}

/** The HTTP side of the relay's WebSocket listeners. */
export interface AttachedHttp {
  /** `http://host:port` of every WebSocket listener. */
  urls: string[]
  /** One guard per listener (RL58). */
  guards: HttpGuard[]
}

/**
 * Makes every WebSocket listener of the libp2p node answer plain HTTP requests with `handler`; WebSocket
 * upgrades still go to libp2p. Returns the listeners' addresses as `http://host:port` URLs.
 *
 * Why this way: @libp2p/websockets 10 creates its own HTTP server per listener (answering 400 to plain
 * requests) and takes no handler. Putting our own server in front and proxying upgrades would make every
 * WebSocket peer appear to come from 127.0.0.1 to libp2p's per-address limits. So we take the listener's
 * server, reached through the node's transport manager, and replace its request handler. If a libp2p
 * upgrade changes that shape, this throws `RELAY_HTTP_UNAVAILABLE` at start rather than failing silently.
 */
export function attachHttp(node: QuireNode, handler: RequestListener, expectWebSocket: boolean, limits: HttpGuardLimits): AttachedHttp {
  const components = (node as unknown as { components?: { transportManager?: { getListeners(): unknown[] } } }).components
  const listeners = components?.transportManager?.getListeners() ?? []
  const urls: string[] = []
  const guards: HttpGuard[] = []
  for (const l of listeners as WebSocketListenerLike[]) {
    const server = l.http
    if (server === undefined || typeof server.on !== 'function' || typeof server.removeAllListeners !== 'function') continue
    if (l.server === undefined || typeof l.server.on !== 'function') {
      throw new RelayError('RELAY_HTTP_UNAVAILABLE',
        'found the HTTP server of libp2p\'s WebSocket listener but not the TCP server in front of it (has @libp2p/websockets changed?); its connections could not be limited (RL58). Pin @libp2p/websockets 10.x, or report this.')
    }
    server.removeAllListeners('request')
    server.on('request', handler)
    guards.push(new HttpGuard(l.server, server, limits))
    for (const ma of l.getAddrs()) {
      const m = /^\/(ip4|ip6|dns4|dns6|dns)\/([^/]+)\/tcp\/(\d+)\/ws/.exec(ma.toString())
      if (m) urls.push(`http://${m[1] === 'ip6' ? `[${m[2]}]` : m[2]}:${m[3]}`)
    }
  }
  if (expectWebSocket && urls.length === 0) {
    throw new RelayError('RELAY_HTTP_UNAVAILABLE',
      'could not find the HTTP server of libp2p\'s WebSocket listener (has @libp2p/websockets changed?); /healthz and /metrics would not answer. Pin @libp2p/websockets 10.x, or report this.')
  }
  return { urls: [...new Set(urls)], guards }
}

/**
 * The addresses a browser on the same host can dial: the WebSocket ones (`/ws`, `/wss`, `/tls/ws`) among
 * the node's addresses (its announce addresses when configured, else its listen addresses), each ending in
 * `/p2p/<peer id>`.
 */
export function browserAddresses(addresses: readonly string[], peerId: string): string[] {
  const out = addresses.filter((a) => /\/(ws|wss)(\/|$)/.test(a)).map((a) => (a.includes('/p2p/') ? a : `${a}/p2p/${peerId}`))
  return [...new Set(out)]
}
