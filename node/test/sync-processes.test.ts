import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startPeer, stopAllProcesses, type DefaultCommandTypes, type PeerMainConfig, type PeerProcess, type SyncCommandTypes } from '@quire/node/testing'

type SyncPeer = PeerProcess<DefaultCommandTypes & SyncCommandTypes>

// Real processes over loopback TCP: a relay that runs no repo, two directly reachable peers, and one
// reachable only through the relay, whose documents live in classic-level in its data directory.
describe('/quire/sync/1.0.0 between peer processes', () => {
  let dir: string
  let relay: SyncPeer
  let a: SyncPeer
  let b: SyncPeer
  let hidden: SyncPeer
  let bootstrap: string[]
  let url: string

  const hiddenConfig = (): PeerMainConfig => ({ role: 'peer', dataDir: join(dir, 'hidden'), listen: ['/p2p-circuit'], bootstrap, allowLoopback: true })

  async function startHidden(): Promise<SyncPeer> {
    const p: SyncPeer = await startPeer(hiddenConfig(), { name: 'hidden' })
    await p.request('syncStart', undefined)
    return p
  }

  async function circuitOf(p: SyncPeer): Promise<string> {
    const [addr] = await p.request('waitForAddress', { contains: '/p2p-circuit', timeoutMs: 20_000 })
    return addr!
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quire-sync-procs-'))
    relay = await startPeer({ role: 'relay', dataDir: join(dir, 'relay'), listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true }, { name: 'relay' })
    bootstrap = [relay.info.addresses[0]!]
    const direct = (name: string): PeerMainConfig => ({ role: 'peer', dataDir: join(dir, name), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, allowLoopback: true })
    ;[a, b, hidden] = await Promise.all([
      startPeer(direct('a'), { name: 'a' }) as Promise<SyncPeer>,
      startPeer(direct('b'), { name: 'b' }) as Promise<SyncPeer>,
      startPeer(hiddenConfig(), { name: 'hidden' }) as Promise<SyncPeer>,
    ])
    await Promise.all([a, b, hidden].map((p) => p.request('syncStart', undefined)))
  })

  afterAll(async () => {
    await stopAllProcesses()
    await rm(dir, { recursive: true, force: true })
  })

  it('[Y12] three peers, one reachable only through a circuit relay, converge', async () => {
    const circuit = await circuitOf(hidden)
    await a.request('dial', { addr: b.info.addresses[0]! })
    expect(await a.request('dial', { addr: circuit })).toMatchObject({ limited: true })
    expect(await b.request('dial', { addr: circuit })).toMatchObject({ limited: true })

    url = await a.request('syncCreate', { value: { items: [] } })
    await Promise.all([b, hidden].map((p) => p.request('syncRead', { url })))
    await Promise.all([
      a.request('syncPush', { url, key: 'items', item: 'a' }),
      b.request('syncPush', { url, key: 'items', item: 'b' }),
      hidden.request('syncPush', { url, key: 'items', item: 'hidden' }),
    ])
    const docs = await Promise.all([a, b, hidden].map((p) => p.request('syncWaitFor', { url, key: 'items', length: 3 })))
    expect([...(docs[0] as { items: string[] }).items].sort()).toEqual(['a', 'b', 'hidden'])
    expect(docs[1]).toEqual(docs[0])
    expect(docs[2]).toEqual(docs[0])
  })

  it('[Y8] the hidden peer, stopped and restarted on its classic-level store, catches up through the relay', async () => {
    await hidden.stop()
    await a.request('syncPush', { url, key: 'items', item: 'while hidden was away' })
    hidden = await startHidden()
    const onDisk = await hidden.request('syncRead', { url }) as { items: string[] }
    expect(onDisk.items).toHaveLength(3)
    await a.request('dial', { addr: await circuitOf(hidden) })
    const want = (await a.request('syncRead', { url }) as { items: string[] }).items
    expect(want).toHaveLength(4)
    await hidden.request('syncWaitFor', { url, key: 'items', equals: want, timeoutMs: 20_000 })
  })

  it('[B3] a blob pushed to the hidden peer through the relay is fetched from it by another peer', async () => {
    await Promise.all([a, b, hidden].map((p) => p.request('blobStart', undefined)))
    const bytes = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 31) % 251))
    const hash = await a.request('blobPush', { peerId: hidden.info.peerId, base64: bytes.toString('base64') })
    await b.request('dial', { addr: await circuitOf(hidden) })
    const fetched = await b.request('blobFetch', { peerId: hidden.info.peerId, hash })
    expect(Buffer.from(fetched, 'base64').equals(bytes)).toBe(true)
    await expect(b.request('blobFetch', { peerId: a.info.peerId, hash: '0'.repeat(64) })).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' })
  })
})
