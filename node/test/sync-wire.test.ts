import { afterEach, describe, expect, it } from 'vitest'
import { next as A } from '@automerge/automerge'
import { createQuireRepo, type QuireNode, type QuireRepo } from '@quire/node'
import { RawSyncStream, startLoopbackNode, waitUntil } from '@quire/node/testing'

const stops: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

async function peer(withRepo: boolean): Promise<{ node: QuireNode; q?: QuireRepo }> {
  const node = await startLoopbackNode()
  stops.push(async () => { await node.stop() })
  if (!withRepo) return { node }
  const q = await createQuireRepo({ libp2p: node })
  stops.push(() => q.stop())
  return { node, q }
}

describe('/quire/sync/1.0.0 wire format', () => {
  it('[Y20] messages travel without addressing; the receiver restores it from the authenticated stream', async () => {
    const victim = await peer(true)
    const raw = await peer(false)
    const handle = victim.q!.repo.create({ greeting: 'hello' })

    const s = await RawSyncStream.open(raw.node, victim.node)
    s.sendHello(raw.node)
    await s.waitForFrame((f) => f.type === 'quire-hello')
    // A request with neither senderId nor targetId: accepted, and answered with the document.
    const [, request] = A.generateSyncMessage(A.init(), A.initSyncState())
    s.sendFrame({ type: 'request', documentId: handle.documentId, data: request })
    const reply = await s.waitForFrame((f) => f.type === 'sync' && f.documentId === handle.documentId)
    expect(reply).not.toHaveProperty('targetId')
    expect(reply).not.toHaveProperty('senderId')
    // Play the sync protocol to the end over the raw stream: the document arrives.
    let doc = A.init<{ greeting?: string }>()
    let state = A.initSyncState()
    let seen = 0
    await waitUntil(() => {
      for (; seen < s.frames.length; seen++) {
        const f = s.frames[seen] as { type?: string; documentId?: string; data?: Uint8Array }
        if (f.type !== 'sync' || f.documentId !== handle.documentId) continue
        ;[doc, state] = A.receiveSyncMessage(doc, state, f.data!)
        const [next, message] = A.generateSyncMessage(doc, state)
        state = next
        if (message) s.sendFrame({ type: 'sync', documentId: handle.documentId, data: message })
      }
      return doc.greeting === 'hello'
    }, 10_000, 'the document over the raw stream')
    await s.stream.close()
  })
})
