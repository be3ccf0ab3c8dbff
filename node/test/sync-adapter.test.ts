import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { next as A } from '@automerge/automerge'
import { generateAutomergeUrl, parseAutomergeUrl, Repo, type PeerId } from '@automerge/automerge-repo'
import { createQuireRepo, Libp2pSyncAdapter, SYNC_PROTOCOL, type QuireNode, type QuireRepo } from '@quire/node'
import { dialNode, RawSyncStream, startLoopbackNode, waitForDoc, waitUntil } from '@quire/node/testing'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function node(): Promise<QuireNode> {
  const n = await startLoopbackNode()
  cleanups.push(() => n.stop())
  return n
}

async function repoOn(n: QuireNode): Promise<QuireRepo> {
  const q = await createQuireRepo({ libp2p: n })
  cleanups.push(() => q.stop())
  return q
}

describe('Libp2pSyncAdapter', () => {
  it('[Y13] frames that arrive before connect() are held and handled once the repo connects', async () => {
    const b = await node()
    const r = await node()
    const adapter = new Libp2pSyncAdapter({ libp2p: b })
    await adapter.start()
    expect(adapter.isReady()).toBe(false)

    const s = await RawSyncStream.open(r, b)
    const { documentId } = parseAutomergeUrl(generateAutomergeUrl())
    s.sendHello(r)
    s.sendFrame({
      type: 'request', senderId: r.peerId.toString(), targetId: b.peerId.toString(), documentId,
      data: A.generateSyncMessage(A.init(), A.initSyncState())[1],
    })
    // Nothing is answered while the adapter has no repo.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(s.frames).toEqual([])

    const repo = new Repo({ peerId: b.peerId.toString() as PeerId, network: [adapter] })
    cleanups.push(() => repo.shutdown())
    await adapter.whenReady()
    expect(adapter.isReady()).toBe(true)
    const hello = await s.waitForFrame((f) => f.type === 'quire-hello')
    expect(hello.peerId).toBe(b.peerId.toString())
    const answer = await s.waitForFrame((f) => f.documentId === documentId && f.type === 'doc-unavailable')
    // Addressed by the stream itself (Y20): the answer carries neither sender nor target.
    expect(answer).toMatchObject({ type: 'doc-unavailable', documentId })
    expect(answer).not.toHaveProperty('senderId')
  })

  it('[Y2] peers that dial each other at the same time end up with one sync stream and sync', async () => {
    const a = await node()
    const b = await node()
    const [qa, qb] = await Promise.all([repoOn(a), repoOn(b)])
    await Promise.all([dialNode(a, b), dialNode(b, a)])
    await waitUntil(() => qa.adapter.peers.length === 1 && qb.adapter.peers.length === 1, 10_000, 'link')
    await new Promise((resolve) => setTimeout(resolve, 300))
    const streams = (n: QuireNode): number =>
      n.getConnections().flatMap((c) => c.streams).filter((s) => s.protocol === SYNC_PROTOCOL && s.status === 'open').length
    expect(streams(a)).toBe(1)
    expect(streams(b)).toBe(1)
    const h = qa.repo.create({ v: 1 })
    const onB = await qb.repo.find<{ v: number }>(h.url)
    await waitForDoc(onB, (d) => d.v === 1)
  })

  it('[Y2] peers connected before either starts its repo open their sync stream when the repos start', async () => {
    const a = await node()
    const b = await node()
    await dialNode(a, b)
    // Start the larger id first: only the smaller opens, so this covers both start orders' hard case.
    const [first, second] = a.peerId.toString() > b.peerId.toString() ? [a, b] : [b, a]
    const q1 = await repoOn(first)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const q2 = await repoOn(second)
    await waitUntil(() => q1.adapter.peers.length === 1 && q2.adapter.peers.length === 1, 10_000, 'link')
    const h = q2.repo.create({ v: 2 })
    await waitForDoc(await q1.repo.find<{ v: number }>(h.url), (d) => d.v === 2)
  })

  it('[Y14] ephemeral messages pass through, and are gossiped on through a middle peer under their author\'s id', async () => {
    const [a, m, b] = await Promise.all([node(), node(), node()])
    const [qa, qm, qb] = await Promise.all([repoOn(a), repoOn(m), repoOn(b)])
    await dialNode(a, m)
    await dialNode(b, m)
    await waitUntil(() => qm.adapter.peers.length === 2 && qa.adapter.peers.length === 1 && qb.adapter.peers.length === 1, 10_000, 'links')
    const onA = qa.repo.create({ title: 'presence' })
    // b asks m, which does not have it yet and asks a on b's behalf.
    const onB = await qb.repo.find(onA.url)
    const got: Array<{ senderId: string; message: unknown }> = []
    onB.on('ephemeral-message', ({ senderId, message }) => got.push({ senderId, message }))
    // Presence is sent repeatedly in practice; the first broadcast may race the middle peer's interest.
    await waitUntil(() => {
      onA.broadcast({ cursor: 7 })
      return got.length > 0
    }, 10_000, 'presence at b')
    expect(got[0]).toEqual({ senderId: a.peerId.toString(), message: { cursor: 7 } })
  })

  it('[Y15] connect() refuses a repo peer id other than the libp2p peer id', async () => {
    const a = await node()
    const adapter = new Libp2pSyncAdapter({ libp2p: a })
    await adapter.start()
    cleanups.push(() => adapter.disconnect())
    expect(() => adapter.connect('someone-else' as PeerId)).toThrow(/libp2p peer id/)
  })
})

describe('Libp2pSyncAdapter backpressure', () => {
  it('[Y16] a peer that stops reading is reset with SEND_QUEUE_FULL once its queue passes the limit', async () => {
    const v = await node()
    const r = await node()
    const codes: string[] = []
    const q = await createQuireRepo({ libp2p: v, maxSendQueueBytes: 512 * 1024, log: (e) => codes.push(e.code) })
    cleanups.push(() => q.stop())
    const docs = Array.from({ length: 6 }, () => q.repo.create({ data: new Uint8Array(randomBytes(300 * 1024)) }))
    const s = await RawSyncStream.open(r, v)
    s.stream.pause()
    s.sendHello(r)
    for (const d of docs) {
      s.sendFrame({
        type: 'request', senderId: r.peerId.toString(), targetId: v.peerId.toString(), documentId: d.documentId,
        data: A.generateSyncMessage(A.init(), A.initSyncState())[1],
      })
    }
    await waitUntil(() => codes.includes('SEND_QUEUE_FULL'), 20_000, 'SEND_QUEUE_FULL')
    expect(q.adapter.stats.rejected.SEND_QUEUE_FULL).toBe(1)
    expect(q.adapter.stats.drainWaits).toBeGreaterThan(0)
  })
})
