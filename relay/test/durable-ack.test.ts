import { describe, expect, it } from 'vitest'
import { next as A } from '@automerge/automerge'
import { NetworkAdapter, type DocumentId, type Message, type PeerId } from '@automerge/automerge-repo'
import { DurableAckAdapter } from '@quire/relay'

/** The network side: records what the wrapper sends, lets the test play peers. */
class RecordingAdapter extends NetworkAdapter {
  readonly sent: Message[] = []
  override isReady(): boolean { return true }
  override whenReady(): Promise<void> { return Promise.resolve() }
  override connect(peerId: PeerId): void { this.peerId = peerId }
  override send(message: Message): void { this.sent.push(message) }
  override disconnect(): void {}
}

const doc = 'doc1' as DocumentId
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
    // The write started when the document held h1, so w's changes are on disk: held messages go, in order.
    expect(writes).toHaveLength(2)
    writes[1]!.resolve()
    await ack.settled()
    expect(sent()).toEqual(['r:1', 'r:4', 'w:2', 'w:3'])
    // With w's changes written, later messages to w go at once too.
    ack.send(sync('w', 5))
    expect(sent()).toEqual(['r:1', 'r:4', 'w:2', 'w:3', 'w:5'])
  })
})
