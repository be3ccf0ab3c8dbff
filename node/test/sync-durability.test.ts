import { afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'
import { LevelStorageAdapter } from '@quire/crdt'
import { createQuireNode, createQuireRepo, loadOrCreateIdentity, type QuireNode, type QuireRepo } from '@quire/node'
import { dialNode, startLoopbackNode, waitForDoc, waitUntil } from '@quire/node/testing'

interface Doc { log: string[] }

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A peer whose identity and documents live in `dir` (classic-level on disk). */
async function diskPeer(dir: string): Promise<{ node: QuireNode; q: QuireRepo; stop: () => Promise<void> }> {
  const privateKey = await loadOrCreateIdentity(dir)
  const node = await createQuireNode({ role: 'peer', privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
  const db = new ClassicLevel<string, Uint8Array>(join(dir, 'db'))
  const q = await createQuireRepo({ libp2p: node, storage: new LevelStorageAdapter(db, { sublevel: 'docs' }) })
  let stopped = false
  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    await q.stop()
    await node.stop()
    await db.close()
  }
  cleanups.push(stop)
  return { node, q, stop }
}

async function memoryPeer(): Promise<{ node: QuireNode; q: QuireRepo }> {
  const node = await startLoopbackNode()
  const q = await createQuireRepo({ libp2p: node })
  cleanups.push(async () => { await q.stop(); await node.stop() })
  return { node, q }
}

const linked = (x: QuireRepo, y: QuireRepo): boolean =>
  x.repo.peers.includes(y.repo.peerId) && y.repo.peers.includes(x.repo.peerId)

describe('/quire/sync/1.0.0 across restarts and reconnects', () => {
  it('[Y8] a peer restarted on its classic-level store catches up with changes made while it was away', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-sync-restart-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const b = await memoryPeer()

    let a = await diskPeer(dir)
    const firstPeerId = a.q.repo.peerId
    await dialNode(a.node, b.node)
    await waitUntil(() => linked(a.q, b.q), 10_000, 'link')
    const first = a.q.repo.create<Doc>({ log: ['a1'] })
    const url: AutomergeUrl = first.url
    const onB = await b.q.repo.find<Doc>(url)
    await waitForDoc(onB, (d) => d.log.includes('a1'))
    await a.stop()
    await waitUntil(() => !b.q.repo.peers.includes(a.q.repo.peerId), 10_000, 'b to see a leave')

    onB.change((d) => { d.log.push('b-while-away') })

    a = await diskPeer(dir)
    // Same identity from the data directory, and the document from disk before any peer is reachable.
    expect(a.q.repo.peerId).toBe(firstPeerId)
    const fromDisk: DocHandle<Doc> = await a.q.repo.find<Doc>(url)
    expect(fromDisk.doc().log).toEqual(['a1'])
    await dialNode(a.node, b.node)
    await waitForDoc(fromDisk, (d) => d.log.includes('b-while-away'))
    fromDisk.change((d) => { d.log.push('a2') })
    await waitForDoc(onB, (d) => d.log.includes('a2'))
    expect(onB.doc().log).toEqual(['a1', 'b-while-away', 'a2'])
  })

  it('[Y10] after a connection drops, both sides reset sync state and converge on redial', async () => {
    const a = await memoryPeer()
    const b = await memoryPeer()
    await dialNode(a.node, b.node)
    await waitUntil(() => linked(a.q, b.q), 10_000, 'link')
    const onA = a.q.repo.create<Doc>({ log: [] })
    const onB = await b.q.repo.find<Doc>(onA.url)
    await waitForDoc(onB, () => true)

    await a.node.hangUp(b.node.peerId)
    await waitUntil(() => !a.q.repo.peers.includes(b.q.repo.peerId) && !b.q.repo.peers.includes(a.q.repo.peerId), 10_000, 'disconnect')
    onA.change((d) => { d.log.push('a offline') })
    onB.change((d) => { d.log.push('b offline') })

    await dialNode(b.node, a.node)
    await waitForDoc(onA, (d) => d.log.length === 2)
    await waitForDoc(onB, (d) => d.log.length === 2)
    expect(onA.doc().log).toEqual(onB.doc().log)
  })
})
