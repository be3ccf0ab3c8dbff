import { describe, expect, it } from 'vitest'
import { next as A } from '@automerge/automerge'
import type { DocumentId, Message, PeerId } from '@automerge/automerge-repo'
import { RecordingAdapter } from '@quire/node/testing'
import { DurableAckAdapter } from '@quire/relay'

const doc = 'doc1' as DocumentId
const doc1 = doc
const sync = (targetId: string, n: number): Message => ({ type: 'sync', documentId: doc, targetId: targetId as PeerId, senderId: 'relay' as PeerId, data: new Uint8Array([n]) })

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void
  let reject!: (e: Error) => void
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

describe('durable acknowledgements', () => {
  it('[RL20] sync messages wait for a write begun after them; other messages pass; a failed write withholds; a gone peer loses its held messages', async () => {
    const inner = new RecordingAdapter()
    const writes: Array<ReturnType<typeof deferred>> = []
    const logs: string[] = []
    const ack = new DurableAckAdapter({ inner, persist: () => { const d = deferred(); writes.push(d); return d.promise }, log: (l) => logs.push(l) })
    ack.connect('relay' as PeerId)

    ack.send(sync('a', 1))
    ack.send({ type: 'doc-unavailable', documentId: doc, targetId: 'b' as PeerId, senderId: 'relay' as PeerId })
    expect(inner.sent.map((m) => m.type)).toEqual(['doc-unavailable']) // not held
    await Promise.resolve(); await Promise.resolve()
    expect(writes).toHaveLength(1)
    expect(ack.holding(doc)).toBe(true)
    ack.send(sync('a', 2)) // generated during the first write: needs a second one
    writes[0]!.resolve()
    await new Promise((r) => setTimeout(r, 0))
    expect(inner.sent.filter((m) => m.type === 'sync').map((m) => (m as { data: Uint8Array }).data[0])).toEqual([1])
    expect(writes).toHaveLength(2)
    writes[1]!.resolve()
    await new Promise((r) => setTimeout(r, 0))
    expect(inner.sent.filter((m) => m.type === 'sync').map((m) => (m as { data: Uint8Array }).data[0])).toEqual([1, 2])
    expect(ack.holding(doc)).toBe(false)

    // A failed write: the message is never sent.
    ack.send(sync('a', 3))
    await new Promise((r) => setTimeout(r, 0))
    writes[2]!.reject(new Error('disk full'))
    await ack.settled()
    expect(inner.sent.filter((m) => m.type === 'sync')).toHaveLength(2)
    expect(ack.stats.persistFailures).toBe(1)
    expect(logs.join('\n')).toContain('RELAY_PERSIST_FAILED')

    // A peer that disconnects while its message is held never gets it (not even on a later session).
    ack.send(sync('b', 4))
    await new Promise((r) => setTimeout(r, 0))
    inner.emit('peer-disconnected', { peerId: 'b' as PeerId })
    writes[3]!.resolve()
    await ack.settled()
    expect(inner.sent.some((m) => m.targetId === 'b' && m.type === 'sync')).toBe(false)
    expect(ack.stats.held).toBe(0)
  })

  it('[RL23] only messages that can acknowledge a peer\'s unwritten changes wait: others go at once', async () => {
    const inner = new RecordingAdapter()
    const writes: Array<ReturnType<typeof deferred>> = []
    const loaded = new Set<string>() // heads the relay's loaded document contains
    const ack = new DurableAckAdapter({
      inner,
      persist: () => { const d = deferred(); writes.push(d); return d.promise },
      hasHeads: (_id, heads) => heads.every((h) => loaded.has(h)),
    })
    ack.connect('relay' as PeerId)
    const sent = () => inner.sent.filter((m) => m.type === 'sync').map((m) => `${m.targetId}:${(m as { data: Uint8Array }).data[0]}`)

    // Writer w sends a change (its sync message announces heads h1), which the repo applies.
    const change = A.change(A.init<{ n?: number }>(), (d) => { d.n = 1 })
    const [, fromWriter] = A.generateSyncMessage(change, A.initSyncState())
    const h1 = A.getHeads(change)[0]!
    inner.emit('message', { type: 'sync', documentId: doc, senderId: 'w' as PeerId, targetId: 'relay' as PeerId, data: fromWriter! })
    loaded.add(h1)

    // Forwarding it to reader r does not wait for the disk; the reply to w (its acknowledgement) does.
    ack.send(sync('r', 1))
    ack.send(sync('w', 2))
    expect(sent()).toEqual(['r:1'])
    await Promise.resolve(); await Promise.resolve()
    expect(writes).toHaveLength(1)
    ack.send(sync('w', 3)) // queued behind the held one: nothing overtakes it
    ack.send(sync('r', 4))
    expect(sent()).toEqual(['r:1', 'r:4'])
    writes[0]!.resolve()
    await new Promise((r) => setTimeout(r, 0))
    // The write started when the document held h1, so w's changes are on disk and w:2 goes; w:3 came during
    // that write and waits for the next one.
    expect(writes).toHaveLength(2)
    expect(sent()).toEqual(['r:1', 'r:4', 'w:2'])
    // w's changes are written now, but w:3 is still held: a new message to w must not overtake it (sent
    // ahead, it could carry changes whose dependencies are in w:3, and w would have to ask for them again).
    ack.send(sync('w', 5))
    expect(sent()).toEqual(['r:1', 'r:4', 'w:2'])
    writes[1]!.resolve()
    await new Promise((r) => setTimeout(r, 0))
    expect(sent()).toEqual(['r:1', 'r:4', 'w:2', 'w:3'])
    expect(writes).toHaveLength(3) // w:5 waited in the queue, so it goes with the next write
    writes[2]!.resolve()
    await ack.settled()
    expect(sent()).toEqual(['r:1', 'r:4', 'w:2', 'w:3', 'w:5'])
    // With nothing of w's held or unwritten, later messages to w go at once.
    ack.send(sync('w', 6))
    expect(sent()).toEqual(['r:1', 'r:4', 'w:2', 'w:3', 'w:5', 'w:6'])
  })
})

describe('durable acknowledgements without holding', () => {
  it('[RL23] a peer with unwritten changes gets messages at once with the heads of the last write, then an acknowledgement per write', async () => {
    const inner = new RecordingAdapter()
    const writes: Array<ReturnType<typeof deferred>> = []
    const loaded = new Set<string>()
    let current: string[] = []
    const ack = new DurableAckAdapter({
      inner,
      persist: () => { const d = deferred(); writes.push(d); return d.promise },
      hasHeads: (_id, heads) => heads.every((h) => loaded.has(h)),
      heads: () => current,
    })
    ack.connect('relay' as PeerId)
    // The relay's document at three moments, and a sync message generated at each (its heads are the doc's).
    const s0 = A.from<{ t: string }>({ t: 'a' })
    const s1 = A.change(A.clone(s0), (d) => { d.t = 'ab' }) // clones: a changed document's old value shares its state
    const s2 = A.change(A.clone(s1), (d) => { d.t = 'abc' })
    const message = (doc: A.Doc<unknown>, targetId: string): Message => ({ type: 'sync', documentId: doc1, targetId: targetId as PeerId, senderId: 'relay' as PeerId, data: A.generateSyncMessage(doc, A.initSyncState())[1]! })
    const headsSeen = (peer: string) => inner.sent.filter((m) => m.targetId === peer && m.type === 'sync').map((m) => A.decodeSyncMessage((m as { data: Uint8Array }).data))
    const announce = (doc: A.Doc<unknown>) => {
      inner.emit('message', { type: 'sync', documentId: doc1, senderId: 'w' as PeerId, targetId: 'relay' as PeerId, data: A.generateSyncMessage(doc, A.initSyncState())[1]! })
      for (const h of A.getHeads(doc)) loaded.add(h)
    }
    const tick = () => new Promise((r) => setTimeout(r, 0))
    const [h0, h1, h2] = [A.getHeads(s0), A.getHeads(s1), A.getHeads(s2)]

    // Before the document's first write there are no heads on disk to show: the message waits for one.
    announce(s0)
    current = h0
    ack.send(message(s0, 'w'))
    expect(headsSeen('w')).toHaveLength(0)
    await tick()
    writes[0]!.resolve()
    await tick()
    expect(headsSeen('w').map((m) => m.heads)).toEqual([h0])

    // w types (its change is in s1); the relay's messages to w go at once, showing h0, the heads on disk.
    announce(s1)
    current = h1
    ack.send(message(s1, 'w'))
    ack.send(message(s1, 'r')) // r has nothing unwritten: unchanged
    expect(headsSeen('w').map((m) => m.heads)).toEqual([h0, h0])
    expect(headsSeen('r').map((m) => m.heads)).toEqual([h1])
    await tick()
    expect(writes).toHaveLength(2) // begun after the message: it holds h1
    current = h2
    ack.send(message(s2, 'w')) // during that write: still h0, and a newer acknowledgement is owed
    expect(headsSeen('w').map((m) => m.heads)).toEqual([h0, h0, h0])
    writes[1]!.resolve()
    await tick()
    // The write is done: w is told h1 (no changes), and the next write will cover h2.
    expect(headsSeen('w').map((m) => [m.heads, m.changes.length])).toEqual([[h0, 0], [h0, 0], [h0, 0], [h1, 0]])
    expect(ack.holding(doc1)).toBe(true)
    expect(writes).toHaveLength(3)
    writes[2]!.resolve()
    await ack.settled()
    expect(headsSeen('w').map((m) => m.heads)).toEqual([h0, h0, h0, h1, h2])
    expect(ack.holding(doc1)).toBe(false)
    expect(ack.stats).toMatchObject({ rewritten: 2, acknowledgements: 2 })
    // Nothing unwritten or owed: messages to w go unchanged.
    ack.send(message(s2, 'w'))
    expect(headsSeen('w').map((m) => m.heads).at(-1)).toEqual(h2)
  })
})
