// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import { browserDialable, loadBootstrapConfig, parseQuireJson } from '../../src/lib/peer/bootstrap-config.js'
import { parseRoute, routeToHash, type Route } from '../../src/lib/routing/route.js'

const RELAY = '/ip4/127.0.0.1/tcp/4002/ws/p2p/12D3KooWJzyyE1JE3gyoeEeR7ZL3CiTyBVDCkEkGYaaocT21ezoZ'
const PEER = '12D3KooWJzyyE1JE3gyoeEeR7ZL3CiTyBVDCkEkGYaaocT21ezoZ'

describe('hash routes', () => {
  it('round-trips every page and falls back to the project list on junk', () => {
    const routes: Route[] = [
      { page: 'projects' },
      { page: 'project', projectId: '2V2TR4L7HF14S1Cu4651vVhRqiFP' },
      { page: 'project', projectId: '2V2TR4L7HF14S1Cu4651vVhRqiFP', fileId: 'f-1 x' },
      { page: 'project', projectId: '2V2TR4L7HF14S1Cu4651vVhRqiFP', terminalId: 'a1b2c3d4e5f6' },
      { page: 'join', token: 'abc.def' },
    ]
    for (const r of routes) expect(parseRoute(routeToHash(r))).toEqual(r)
    expect(parseRoute('#invite=abc.def')).toEqual({ page: 'join', token: 'abc.def' })
    for (const junk of ['', '#', '#/p/', '#/p/../../etc', '#/x/y', '#invite=']) expect(parseRoute(junk)).toEqual({ page: 'projects' })
    // A terminal id that is not plain letters and digits opens the project, not a terminal.
    expect(parseRoute('#/p/2V2TR4L7HF14S1Cu4651vVhRqiFP/t/..%2F')).toEqual({ page: 'project', projectId: '2V2TR4L7HF14S1Cu4651vVhRqiFP' })
  })
})

describe('bootstrap configuration', () => {
  let server: Server | undefined
  afterEach(() => new Promise<void>((r) => { if (server) server.close(() => r()); else r() }))

  async function serve(body: string, status = 200): Promise<string> {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/quire.json')) res.writeHead(status, { 'content-type': 'application/json' }).end(body)
      else res.writeHead(404).end()
    })
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()))
    const { port } = server.address() as { port: number }
    return `http://127.0.0.1:${port}/`
  }

  it('reads /quire.json from the serving origin, adds ?relay= addresses, keeps only browser-dialable ones', async () => {
    const base = await serve(JSON.stringify({
      relay: { peerId: PEER, addrs: ['/ip4/127.0.0.1/tcp/4002/ws', '/ip4/127.0.0.1/tcp/4001'] },
      autoGrant: [{ peerId: PEER, role: 'relay' }, { peerId: 'x', role: 'emperor' }],
      missing: [{ feature: 'LaTeX', gives: 'PDF builds', packages: ['latexmk'] }, { feature: 7 }],
      installCommand: 'quire setup --install',
    }))
    const extra = '/ip4/127.0.0.1/tcp/5002/ws/p2p/12D3KooWQ3FoNQeYvD2JdLQkppEax4Ld8Scv4zaFiKULrfFPhz7J'
    const config = await loadBootstrapConfig({ href: `${base}?relay=${encodeURIComponent(extra)}#/p/x` })
    expect(config.relays).toEqual([RELAY, extra])
    expect(config.autoGrant).toEqual([{ peerId: PEER, role: 'relay' }])
    expect(config.source).toBe('both')
    expect(config.missing).toEqual([{ feature: 'LaTeX', gives: 'PDF builds', packages: ['latexmk'] }])
    expect(config.installCommand).toBe('quire setup --install')
  })

  it('falls back to ?relay= when there is no /quire.json, and to nothing at all without failing', async () => {
    const base = await serve('not json', 404)
    expect(await loadBootstrapConfig({ href: `${base}?relay=${encodeURIComponent(RELAY)}` })).toEqual({ relays: [RELAY], autoGrant: [], source: 'query' })
    expect(await loadBootstrapConfig({ href: base })).toEqual({ relays: [], autoGrant: [], source: 'none' })
    const broken = await (async () => { server?.close(); return serve('{"relay": 7, "autoGrant": "x"}') })()
    expect(await loadBootstrapConfig({ href: broken })).toEqual({ relays: [], autoGrant: [], source: 'none' })
  })

  it('tolerates junk in /quire.json and refuses addresses a browser cannot dial', () => {
    expect(parseQuireJson(null)).toEqual({ relays: [], autoGrant: [], missing: [] })
    expect(parseQuireJson({ relay: { addrs: [7, 'http://x', '/ip4/1.2.3.4/tcp/1/ws/p2p/' + PEER] } }).relays).toEqual(['/ip4/1.2.3.4/tcp/1/ws/p2p/' + PEER])
    expect(browserDialable('/ip4/127.0.0.1/tcp/4001/p2p/' + PEER)).toBe(false)
    expect(browserDialable('/ip4/127.0.0.1/tcp/4002/ws')).toBe(false)
    expect(browserDialable('/dns4/relay.example.org/tcp/443/tls/ws/p2p/' + PEER)).toBe(true)
    expect(browserDialable(RELAY)).toBe(true)
  })
})
