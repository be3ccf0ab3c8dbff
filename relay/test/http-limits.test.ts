import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { createQuireNode } from '@quire/node'
import { DEFAULT_LIMITS, resolveRelayConfig } from '@quire/relay'
import { relayFixtures } from './fixtures.js'
import { metricValue, sleep } from './helpers.js'
import { hostPort, silentFlood, type SilentFlood } from './silent-sockets.js'

const { cleanups, relayWith } = relayFixtures('quire-relay-http-limits-')

const SLOWLORIS = 20
/** What a client sees of a connection the relay closes on arrival. */
const REFUSED = ['ECONNRESET', 'EPIPE']

function flood(options: Parameters<typeof silentFlood>[0]): SilentFlood {
  const f = silentFlood(options)
  cleanups.push(() => f.stop())
  return f
}

/** GET `path` over a new connection from `localAddress`; the status, or the error's code if refused. */
function getFrom(url: string, path: string, localAddress: string): Promise<number | string> {
  const { host, port } = hostPort(url)
  return new Promise((resolve) => {
    const req = request({ host, port, path, localAddress, agent: false, timeout: 20_000 }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
    req.end()
  })
}

/** Connections that send a request head one header line at a time, a line every 300 ms, never ending it. */
function slowloris(url: string, n: number): { open: () => number; stop: () => void } {
  const { host, port } = hostPort(url)
  const sockets = new Set<Socket>()
  const timers: NodeJS.Timeout[] = []
  for (let i = 0; i < n; i++) {
    const s = connect({ host, port, localAddress: '127.0.0.1' })
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
    s.on('connect', () => {
      s.write('GET /healthz HTTP/1.1\r\nHost: relay\r\n')
      let line = 0
      const t = setInterval(() => { if (!s.destroyed) s.write(`X-Slow-${line++}: a\r\n`) }, 300)
      timers.push(t)
    })
  }
  const stop = (): void => {
    for (const t of timers) clearInterval(t)
    for (const s of sockets) s.destroy()
  }
  cleanups.push(async () => stop())
  return { open: () => sockets.size, stop }
}

describe('relay: the HTTP side of the WebSocket port', () => {
  it('[RL58] header, keep-alive and idle timeouts and the connection caps are relay options, with defaults', () => {
    expect(DEFAULT_LIMITS).toMatchObject({
      httpHeadersTimeoutMs: 10_000, httpKeepAliveTimeoutMs: 5_000, httpIdleTimeoutMs: 30_000,
      httpMaxConnections: 1024, httpMaxConnectionsPerHost: 64,
    })
    const { config } = resolveRelayConfig(['--http-headers-timeout-ms', '700', '--http-max-connections-per-host', '3'], { QUIRE_RELAY_HTTP_MAX_CONNECTIONS: '9' })
    expect(config!.limits).toMatchObject({ httpHeadersTimeoutMs: 700, httpMaxConnectionsPerHost: 3, httpMaxConnections: 9 })
    expect(() => resolveRelayConfig(['--http-max-connections', '0'], {})).toThrow(expect.objectContaining({ code: 'RELAY_FLAG_INVALID' }))
  })

  it(`[RL58] ${SLOWLORIS} slowloris connections and ${SLOWLORIS} silent ones are closed once the header timeout passes`, async () => {
    const relay = await relayWith(['--http-headers-timeout-ms', '1000'])
    const slow = slowloris(relay.httpUrl, SLOWLORIS)
    const silent = flood({ ...hostPort(relay.httpUrl), count: SLOWLORIS, localAddress: '127.0.0.1' })
    await expect.poll(() => silent.connected, { timeout: 10_000 }).toBe(SLOWLORIS)
    // Closed after about 1 s however slowly they trickle; generous for a loaded machine, and far below the
    // 70 s they stayed open before.
    await expect.poll(() => slow.open() + silent.connected, { timeout: 8_000, interval: 100 }).toBe(0)
    const metrics = await (await fetch(`${relay.httpUrl}/metrics`)).text()
    expect(metricValue(metrics, 'quire_relay_http_timeouts_total')).toBeGreaterThanOrEqual(2 * SLOWLORIS)
    expect(await getFrom(relay.httpUrl, '/healthz', '127.0.0.1')).toBe(200)
  })

  it('[RL58] past the per-host and total caps new connections are closed; below them /healthz answers again', async () => {
    const relay = await relayWith(['--http-max-connections-per-host', '10', '--http-max-connections', '15'])
    const url = relay.httpUrl
    const first = flood({ ...hostPort(url), count: 10, localAddress: '127.0.0.1' })
    await expect.poll(() => first.connected, { timeout: 10_000 }).toBe(10)
    // The host's cap is full: its next connection is closed, another host still gets in.
    expect(REFUSED).toContain(await getFrom(url, '/healthz', '127.0.0.1'))
    expect(await getFrom(url, '/healthz', '127.0.0.2')).toBe(200)
    // Fill the total cap from a second host: now every host is turned away.
    const second = flood({ ...hostPort(url), count: 5, localAddress: '127.0.0.2' })
    await expect.poll(() => second.connected, { timeout: 10_000 }).toBe(5)
    expect(REFUSED).toContain(await getFrom(url, '/healthz', '127.0.0.3'))
    // Below the caps again, a fresh connection is served.
    await first.stop()
    await second.stop()
    await expect.poll(() => getFrom(url, '/healthz', '127.0.0.1'), { timeout: 10_000 }).toBe(200)
    const metrics = await (await fetch(`${url}/metrics`)).text()
    expect(metricValue(metrics, 'quire_relay_http_refused_total')).toBeGreaterThanOrEqual(2)
  })

  it('[RL58] a libp2p WebSocket connection stays open past the HTTP idle, keep-alive and header timeouts', async () => {
    const relay = await relayWith(['--http-idle-timeout-ms', '500', '--http-keep-alive-timeout-ms', '500', '--http-headers-timeout-ms', '500'])
    const wsAddress = relay.info.addresses.find((a) => a.includes('/ws'))!
    const node = await createQuireNode({ role: 'peer', listen: [], allowLoopback: true })
    cleanups.push(async () => { await node.stop() })
    const conn = await node.dial(multiaddr(wsAddress), { signal: AbortSignal.timeout(15_000) })
    // Six times the longest timeout without a byte (yamux's keep-alive pings come every 30 s).
    await sleep(3_000)
    expect(conn.status).toBe('open')
    await node.services.ping.ping(conn.remoteAddr, { signal: AbortSignal.timeout(10_000) })
  })
})
