import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startPeer, stopAllProcesses, type PeerProcess } from '@quire/node/testing'

// WebRTC peers live in separate processes: two in one Node process fail about half their dials
// (libdatachannel "DTLS alert: unknown CA"), see TESTING.md.
describe('WebRTC through the relay (node-datachannel, three processes)', () => {
  let dir: string
  let relay: PeerProcess
  let listener: PeerProcess
  let dialer: PeerProcess

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quire-webrtc-'))
    relay = await startPeer({ role: 'relay', dataDir: join(dir, 'relay'), listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true }, { name: 'relay' })
    const bootstrap = [relay.info.addresses[0]!]
    ;[listener, dialer] = await Promise.all([
      startPeer({ role: 'peer', dataDir: join(dir, 'l'), listen: ['/p2p-circuit', '/webrtc'], bootstrap, allowLoopback: true, webrtc: true }, { name: 'rtc-listener' }),
      startPeer({ role: 'peer', dataDir: join(dir, 'd'), listen: ['/p2p-circuit', '/webrtc'], bootstrap, allowLoopback: true, webrtc: true }, { name: 'rtc-dialer' }),
    ])
  })
  afterAll(async () => {
    await stopAllProcesses()
    await rm(dir, { recursive: true, force: true })
  })

  it('[L17] two Node peers connect over WebRTC signaled through the relay; the connection is unlimited and a stream works', async () => {
    const [addr] = await listener.request('waitForAddress', { contains: '/p2p-circuit/webrtc', timeoutMs: 20_000 })
    expect(addr).toContain(`/p2p/${relay.info.peerId}/p2p-circuit/webrtc/p2p/${listener.info.peerId}`)
    // libdatachannel sometimes fails the DTLS handshake ("DTLS alert: unknown CA", about 1 dial in 10 on a
    // loaded machine, measured here): ICE reaches the dialer directly before the SDP answer, which travels
    // through the relay, has given it the remote fingerprint. A real peer redials; so does this test, and
    // says so.
    const conn = await dialer.request('dial', { addr: addr!, timeoutMs: 15_000, attempts: 3 }, { timeout: 50_000 })
    if (conn.failedAttempts.length > 0) console.warn(`[L17] WebRTC dial needed ${conn.failedAttempts.length + 1} attempts: ${conn.failedAttempts.join('; ')}`)
    expect(conn).toMatchObject({ peerId: listener.info.peerId, kind: 'webrtc', limited: false })
    expect(await dialer.request('echo', { peerId: listener.info.peerId, text: 'over webrtc' })).toBe('over webrtc')
    const seen = await listener.request('connections', undefined)
    expect(seen.filter((c) => c.peerId === dialer.info.peerId).map((c) => c.kind)).toContain('webrtc')
    await Promise.all([listener.request('syncStart', {}), dialer.request('syncStart', {})])
  })

  it('[L18] the WebRTC connection survives the relay going away', async () => {
    await relay.kill('SIGKILL')
    await expect.poll(async () => (await dialer.request('connections', undefined)).map((c) => c.peerId), { timeout: 10_000 })
      .not.toContain(relay.info.peerId)
    const conns = await dialer.request('connections', undefined)
    expect(conns.find((c) => c.peerId === listener.info.peerId)).toMatchObject({ kind: 'webrtc' })
    expect(await dialer.request('echo', { peerId: listener.info.peerId, text: 'relay is gone' })).toBe('relay is gone')
  })

  it('[Y19] with the relay gone, documents sync both ways over the direct WebRTC connection', async () => {
    const conns = await dialer.request('connections', undefined)
    expect(conns.map((c) => c.kind)).toEqual(['webrtc'])
    // The repos started after the peers connected: identify-push tells each side about the other's new
    // protocol, and the sync stream opens; when the relay went, it moved to the WebRTC connection.
    await expect.poll(() => dialer.request('syncPeers', undefined), { timeout: 10_000 }).toEqual([listener.info.peerId])
    await expect.poll(() => listener.request('syncPeers', undefined), { timeout: 10_000 }).toEqual([dialer.info.peerId])
    const url = await dialer.request('syncCreate', { value: { items: ['from dialer'] } })
    await listener.request('syncWaitFor', { url, key: 'items', length: 1 })
    await listener.request('syncPush', { url, key: 'items', item: 'from listener' })
    const doc = (await dialer.request('syncWaitFor', { url, key: 'items', length: 2 })) as { items: string[] }
    expect(doc.items).toEqual(['from dialer', 'from listener'])
  })
})
