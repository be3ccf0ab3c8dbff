import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { request as httpRequest } from 'node:http'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { createQuireNode, type QuireNode } from '@quire/node'
import { RawSyncStream, stopAllProcesses, waitUntil } from '@quire/node/testing'
import { startRelayProcess } from '@quire/relay/testing'
import { startClient } from './client.js'
import { get, metricValue, tempDir } from './helpers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(() => stopAllProcesses())

/** A raw GET whose path is sent exactly as given (fetch would normalise `..`). */
function rawGet(base: string, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  const { hostname, port } = new URL(base)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('relay HTTP on the WebSocket port', () => {
  it('[RL30] [RL31] /healthz and /metrics answer, and change when a peer connects and syncs', async () => {
    const { dir, remove } = await tempDir('quire-relay-http-')
    cleanups.push(remove)
    const relay = await startRelayProcess(['--data-dir', dir, '--hosting', 'open'])
    cleanups.push(async () => { await relay.proc.stop() })

    const health = await get(`${relay.httpUrl}/healthz`)
    expect(health.status).toBe(200)
    expect(health.type).toMatch(/^application\/json/)
    expect(JSON.parse(health.body)).toMatchObject({ ok: true, peerId: relay.info.peerId, documentsHosted: 0, documentsLoaded: 0 })
    expect(JSON.parse(health.body).uptimeSeconds).toBeGreaterThanOrEqual(0)

    const before = await get(`${relay.httpUrl}/metrics`)
    expect(before.type).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(before.body).toContain('# TYPE quire_relay_connected_peers gauge')
    expect(metricValue(before.body, 'quire_relay_connected_peers')).toBe(0)
    expect(metricValue(before.body, 'quire_relay_documents_hosted')).toBe(0)
    expect(metricValue(before.body, 'quire_relay_sync_bytes_received_total')).toBe(0)
    for (const name of ['quire_relay_reservations', 'quire_relay_documents_loaded', 'quire_relay_sync_bytes_sent_total', 'quire_relay_empty_sync_coalesced_total', 'quire_relay_acks_sent_total']) {
      expect(metricValue(before.body, name), name).toBe(0)
    }

    const member = await startClient()
    cleanups.push(() => member.stop())
    await member.dial(relay.tcpAddress)
    const doc = member.q.repo.create({ text: 'hello' })
    await waitUntil(async () => metricValue((await get(`${relay.httpUrl}/metrics`)).body, 'quire_relay_documents_hosted') === 1, 20_000, 'the document hosted')
    doc.change((d) => { d.text = 'hello again' })
    await waitUntil(async () => metricValue((await get(`${relay.httpUrl}/metrics`)).body, 'quire_relay_persists_total')! >= 2, 20_000, 'a second write')
    // The loaded gauge counts ready handles; a handle can become ready a moment after its first writes.
    await waitUntil(async () => metricValue((await get(`${relay.httpUrl}/metrics`)).body, 'quire_relay_documents_loaded') === 1, 20_000, 'the document loaded')
    const after = (await get(`${relay.httpUrl}/metrics`)).body
    expect(metricValue(after, 'quire_relay_connected_peers')).toBe(1)
    expect(metricValue(after, 'quire_relay_sync_peers')).toBe(1)
    expect(metricValue(after, 'quire_relay_documents_loaded')).toBe(1)
    expect(metricValue(after, 'quire_relay_sync_bytes_received_total')).toBeGreaterThan(0)
    expect(metricValue(after, 'quire_relay_sync_frames_sent_total')).toBeGreaterThan(0)
    expect(JSON.parse((await get(`${relay.httpUrl}/healthz`)).body)).toMatchObject({ documentsHosted: 1, connectedPeers: 1 })

    await member.stop()
    await waitUntil(async () => metricValue((await get(`${relay.httpUrl}/metrics`)).body, 'quire_relay_connected_peers') === 0, 20_000, 'the peer gone')

    // A peer sending garbage shows up as a rejected frame, by the sync adapter's error code.
    const rogue = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
    cleanups.push(async () => { await rogue.stop() })
    const raw = await RawSyncStream.open(rogue, { getMultiaddrs: () => [multiaddr(relay.tcpAddress)] } as unknown as QuireNode)
    raw.sendBytes(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))
    await waitUntil(async () => (metricValue((await get(`${relay.httpUrl}/metrics`)).body, 'quire_relay_sync_frames_rejected_total{code="MALFORMED_FRAME"}') ?? 0) >= 1
      || (metricValue((await get(`${relay.httpUrl}/metrics`)).body, 'quire_relay_sync_frames_rejected_total{code="FRAME_TOO_LARGE"}') ?? 0) >= 1, 20_000, 'a rejected frame counted')
  })

  it('[RL32] serves the static root with MIME types, never a file outside it', async () => {
    const { dir, remove } = await tempDir('quire-relay-static-')
    cleanups.push(remove)
    const root = join(dir, 'www')
    await mkdir(join(root, 'assets'), { recursive: true })
    await writeFile(join(root, 'index.html'), '<!doctype html><title>Quire</title>')
    await writeFile(join(root, 'assets', 'app.js'), 'console.log(1)')
    await writeFile(join(root, 'assets', 'style.css'), 'body{}')
    await writeFile(join(root, 'assets', 'automerge.wasm'), Buffer.from([0, 97, 115, 109]))
    await writeFile(join(dir, 'secret.txt'), 'SECRET')
    await symlink(dir, join(root, 'escape'))
    const relay = await startRelayProcess(['--data-dir', join(dir, 'data'), '--static-root', root])
    cleanups.push(async () => { await relay.proc.stop() })
    const base = relay.httpUrl

    expect(await rawGet(base, '/')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><title>Quire</title>' })
    expect(await rawGet(base, '/assets/app.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' })
    expect(await rawGet(base, '/assets/style.css?v=2')).toMatchObject({ status: 200, type: 'text/css; charset=utf-8' })
    expect(await rawGet(base, '/assets/automerge.wasm')).toMatchObject({ status: 200, type: 'application/wasm' })
    expect((await rawGet(base, '/assets/missing.js')).status).toBe(404)
    expect((await rawGet(base, '/', 'POST')).status).toBe(405)
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/escape/secret.txt', '/%00', '/..%5csecret.txt']) {
      const res = await rawGet(base, path)
      expect(res.status, path).toBeGreaterThanOrEqual(400)
      expect(res.body, path).not.toContain('SECRET')
    }
    // libp2p still speaks WebSocket on the same port.
    expect(relay.info.addresses.some((a) => a.includes(`/tcp/${new URL(base).port}/ws`))).toBe(true)
  })
})
