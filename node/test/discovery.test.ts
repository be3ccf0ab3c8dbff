import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PROJECT_KEY_NAMESPACE, announceProject, projectKey } from '@quire/node'
import type { CID } from 'multiformats/cid'
import { startPeer, stopAllProcesses, type PeerProcess } from '@quire/node/testing'
import { sha256 } from 'multiformats/hashes/sha2'

describe('project key', () => {
  it('[K1] a project key is the CIDv1 (raw) of sha-256 of the namespaced project id', async () => {
    const cid = await projectKey('p-123')
    expect(cid.version).toBe(1)
    expect(cid.code).toBe(0x55)
    const digest = await sha256.digest(new TextEncoder().encode(PROJECT_KEY_NAMESPACE + 'p-123'))
    expect(cid.multihash.bytes).toEqual(digest.bytes)
    expect((await projectKey('p-123')).equals(cid)).toBe(true)
    expect((await projectKey('p-124')).equals(cid)).toBe(false)
  })

  it('[K1] an empty project id is refused with code PROJECT_ID_INVALID', async () => {
    await expect(projectKey('')).rejects.toMatchObject({ code: 'PROJECT_ID_INVALID' })
  })
})

describe('announceProject schedule (in-memory content routing)', () => {
  it('[K3] a failed announce is retried, then the record is re-announced every interval until stopped', async () => {
    const calls: CID[] = []
    const routing = {
      contentRouting: {
        provide: async (cid: CID) => {
          calls.push(cid)
          if (calls.length === 1) throw new Error('no DHT peers yet')
        },
      },
    } as unknown as Parameters<typeof announceProject>[0]
    const a = announceProject(routing, 'sched', { retryMs: 20, intervalMs: 40 })
    await a.announced
    expect(calls.length).toBe(2)
    expect(a.lastError).toBeUndefined()
    await expect.poll(() => calls.length, { timeout: 2_000 }).toBeGreaterThanOrEqual(4)
    a.stop()
    const after = calls.length
    await new Promise((r) => setTimeout(r, 150))
    expect(calls.length).toBe(after)
    const key = await projectKey('sched')
    expect(calls.every((c) => c.equals(key))).toBe(true)
  })
})

describe('discovery over the private DHT (three processes over loopback TCP)', () => {
  let dir: string
  let relay: PeerProcess
  let a: PeerProcess
  let b: PeerProcess

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quire-disc-'))
    relay = await startPeer({ role: 'relay', dataDir: join(dir, 'relay'), listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true }, { name: 'relay' })
    const bootstrap = [relay.info.addresses[0]!]
    const start = (n: string) => startPeer({ role: 'peer', dataDir: join(dir, n), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, allowLoopback: true }, { name: n })
    ;[a, b] = await Promise.all([start('a'), start('b')])
  })
  afterAll(async () => {
    await stopAllProcesses()
    await rm(dir, { recursive: true, force: true })
  })

  it('[K2] peers bootstrap off the relay: each has a connection to it without dialing it themselves', async () => {
    for (const p of [a, b]) {
      await expect.poll(async () => (await p.request('connections', undefined)).map((c) => c.peerId), { timeout: 10_000 })
        .toContain(relay.info.peerId)
    }
  })

  it('[K3] [K4] a peer announcing a project is found by another peer through the relay DHT server, with dialable addresses', async () => {
    await a.request('announceProject', { projectId: 'project-42' })
    let holders: Array<{ peerId: string; addrs: string[] }> = []
    for (let i = 0; i < 20 && holders.length === 0; i++) {
      holders = await b.request('findProjectHolders', { projectId: 'project-42', timeoutMs: 3_000 })
    }
    expect(holders.map((h) => h.peerId)).toEqual([a.info.peerId])
    expect(holders[0]!.addrs.length).toBeGreaterThan(0)
    const tcpAddr = holders[0]!.addrs.find((x) => x.includes('/tcp/') && !x.includes('p2p-circuit'))!
    const conn = await b.request('dial', { addr: tcpAddr.includes('/p2p/') ? tcpAddr : `${tcpAddr}/p2p/${a.info.peerId}` })
    expect(conn).toMatchObject({ peerId: a.info.peerId, kind: 'direct', limited: false })
    expect(await b.request('echo', { peerId: a.info.peerId, text: 'found you' })).toBe('found you')
  })

  it('[K4] a project nobody announced has no holders, and the announcer does not list itself', async () => {
    expect(await b.request('findProjectHolders', { projectId: 'nobody-has-this', timeoutMs: 3_000 })).toEqual([])
    expect(await a.request('findProjectHolders', { projectId: 'project-42', timeoutMs: 3_000 })).toEqual([])
  })

  it('[K5] a peer redials its bootstrap relay after the relay restarts', async () => {
    const relayAddr = relay.info.addresses[0]!
    await relay.kill('SIGKILL')
    await expect.poll(async () => (await b.request('connections', undefined)).map((c) => c.peerId), { timeout: 10_000 })
      .not.toContain(relay.info.peerId)
    // Same data dir (same identity) and same port: what a supervisor restarting the relay does.
    relay = await startPeer({ role: 'relay', dataDir: join(dir, 'relay'), listen: [relayAddr.split('/p2p/')[0]!], allowLoopback: true }, { name: 'relay-2' })
    expect(relay.info.addresses[0]).toBe(relayAddr)
    await expect.poll(async () => (await b.request('connections', undefined)).map((c) => c.peerId), { timeout: 15_000, interval: 250 })
      .toContain(relay.info.peerId)
  })
})
