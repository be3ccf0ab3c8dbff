import { afterEach, describe, expect, it } from 'vitest'
import { NetworkAdapter, type DocHandle, type DocumentId, type Message, type NetworkAdapterInterface, type PeerId, type PeerMetadata, type Repo } from '@automerge/automerge-repo'
import type { QuireNode } from '@quire/node'
import { createQuireRepo, enableImmediateSync, type QuireRepo } from '@quire/node'
import { dialNode, framesSentBeforeAnyTimer, startLoopbackNode, waitForDoc, waitUntil } from '@quire/node/testing'

interface Doc { count: number }

const nodes: QuireNode[] = []
const repos: QuireRepo[] = []
const stops: Array<() => void> = []

afterEach(async () => {
  for (const s of stops.splice(0)) s()
  await Promise.all(repos.splice(0).map((r) => r.stop()))
  await Promise.all(nodes.splice(0).map((n) => n.stop()))
})

async function peer(): Promise<{ node: QuireNode; q: QuireRepo }> {
  const node = await startLoopbackNode()
  nodes.push(node)
  // Immediate sync is enabled by hand below, with a short sweep.
  const q = await createQuireRepo({ libp2p: node, immediateSync: false })
  repos.push(q)
  return { node, q }
}

const changeListeners = (h: DocHandle<unknown>): number => h.listenerCount('change')

/** Frames `from` sends before any timer for each of 20 edits, 60 ms apart (each finds the document quiet, Y25). */
async function sentAtOnce(q: QuireRepo, from: DocHandle<Doc>, to: DocHandle<Doc>): Promise<number[]> {
  const early: number[] = []
  for (let i = 1; i <= 20; i++) {
    await new Promise((r) => setTimeout(r, 60))
    early.push(await framesSentBeforeAnyTimer(q.adapter.stats, () => from.change((d) => { d.count = 1000 + i })))
    await waitForDoc(to, (d) => d.count === 1000 + i, 30_000)
  }
  return early
}

describe('immediate sync and documents unloaded from the repo', () => {
  it('[Y21] a document unloaded with removeFromCache and loaded again still sends changes at once; old handles are let go', async () => {
    const a = await peer()
    const b = await peer()
    stops.push(enableImmediateSync(a.q.repo, { sweepMs: 100 }), enableImmediateSync(b.q.repo))
    await dialNode(a.node, b.node)
    await waitUntil(() => a.q.adapter.peers.length === 1 && b.q.adapter.peers.length === 1, 10_000, 'peers')

    const onB = b.q.repo.create<Doc>({ count: 0 })
    const idle = b.q.repo.create<Doc>({ count: 0 })
    const firstOnA = await a.q.repo.find<Doc>(onB.url, { signal: AbortSignal.timeout(10_000) })
    const idleOnA = await a.q.repo.find<Doc>(idle.url, { signal: AbortSignal.timeout(10_000) })
    await waitForDoc(firstOnA, (d) => d.count === 0)
    await waitForDoc(idleOnA, (d) => d.count === 0)
    // automerge-repo's own synchronizer listens too (and never lets go of an unloaded handle); ours is one.
    const hookedFirst = changeListeners(firstOnA)
    const hookedIdle = changeListeners(idleOnA)
    expect(hookedFirst).toBeGreaterThan(0)

    // A unloads both (as a relay unloads idle documents); B's next change loads the first one again.
    await a.q.repo.removeFromCache(onB.documentId as DocumentId)
    await a.q.repo.removeFromCache(idle.documentId as DocumentId)
    onB.change((d) => { d.count = 1 })
    await waitUntil(() => a.q.repo.handles[onB.documentId]?.isReady() === true && a.q.repo.handles[onB.documentId]?.doc()?.count === 1, 10_000, 'the document loaded again on A')
    const secondOnA = a.q.repo.handles[onB.documentId] as DocHandle<Doc>
    expect(secondOnA).not.toBe(firstOnA)
    await new Promise((r) => setTimeout(r, 300)) // let the reload's own sync rounds finish

    // Sent at once (Y9): each change leaves before any timer could fire, so not through the 100 ms throttle.
    const early = await sentAtOnce(a.q, secondOnA, onB)
    console.log(`[Y21] frames sent before any timer per change, after a reload: ${early.join(' ')}`)
    expect(early.every((n) => n >= 1)).toBe(true)

    // Neither unloaded handle is still hooked: the reloaded one's replaced at once, the idle one swept.
    expect(changeListeners(firstOnA)).toBe(hookedFirst - 1)
    await waitUntil(() => changeListeners(idleOnA) === hookedIdle - 1, 5_000, 'the idle handle let go')
  })

})

/** A pass-through adapter that records what the repo sends. */
class Recorder extends NetworkAdapter {
  readonly sent: Message[] = []
  constructor(readonly inner: NetworkAdapterInterface, readonly repo: () => Repo) {
    super()
    inner.on('peer-candidate', (p) => this.emit('peer-candidate', p))
    inner.on('peer-disconnected', (p) => this.emit('peer-disconnected', p))
    inner.on('message', (m) => this.emit('message', m))
    inner.on('close', () => this.emit('close'))
  }
  override isReady(): boolean { return this.inner.isReady() }
  override whenReady(): Promise<void> { return this.inner.whenReady() }
  override connect(peerId: PeerId, meta?: PeerMetadata): void {
    this.peerId = peerId
    this.inner.connect(peerId, meta)
  }
  override send(message: Message): void {
    // The repo exists by the time anything is sent.
    if (this.repo().peerId !== this.peerId) throw new Error('wrong repo')
    this.sent.push(message)
    this.inner.send(message)
  }
  override disconnect(): void { this.inner.disconnect() }
}

describe('createQuireRepo with a wrapped network', () => {
  it('[Y24] wrapNetwork puts an adapter between the repo and libp2p; sync, immediate sending and stop go through it', async () => {
    const node = await startLoopbackNode()
    nodes.push(node)
    let recorder: Recorder | undefined
    const q = await createQuireRepo({ libp2p: node, wrapNetwork: (adapter, repo) => (recorder = new Recorder(adapter, repo)) })
    repos.push(q)
    expect(q.network).toBe(recorder)
    const b = await peer()
    stops.push(enableImmediateSync(b.q.repo))
    await dialNode(node, b.node)
    await waitUntil(() => q.adapter.peers.length === 1 && b.q.adapter.peers.length === 1, 10_000, 'peers')
    const doc = q.repo.create<Doc>({ count: 0 })
    const onB = await b.q.repo.find<Doc>(doc.url, { signal: AbortSignal.timeout(10_000) })
    await waitForDoc(onB, (d) => d.count === 0)
    await new Promise((r) => setTimeout(r, 300))
    const before = recorder!.sent.length
    doc.change((d) => { d.count = 1 })
    // Immediate sending runs in a microtask; the throttle would take 100 ms.
    await new Promise((r) => setImmediate(r))
    expect(recorder!.sent.slice(before).some((m) => m.type === 'sync' && m.documentId === doc.documentId)).toBe(true)
    await waitForDoc(onB, (d) => d.count === 1)
    await q.stop()
    await waitUntil(() => b.q.adapter.peers.length === 0, 10_000, 'the sync stream closed by stop')
  })
})
