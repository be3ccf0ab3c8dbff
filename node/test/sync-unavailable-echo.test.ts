/**
 * Y29: two peers that each refuse the other a document do not bounce `doc-unavailable` between them. Before
 * the guard they did, as fast as they could (issue 19: a revoked relay and its federated relay, about 3,500
 * refusals a second each way at idle).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { next as A } from '@automerge/automerge'
import type { PeerId } from '@automerge/automerge-repo'
import { createQuireRepo, type QuireNode, type QuireRepo } from '@quire/node'
import { dialNode, startLoopbackNode, waitUntil } from '@quire/node/testing'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function peer(access: () => boolean, announce: () => boolean, counter: { refused: number }): Promise<{ node: QuireNode; q: QuireRepo }> {
  const node = await startLoopbackNode()
  const q = await createQuireRepo({
    libp2p: node,
    shareConfig: {
      announce: async () => announce(),
      access: async () => {
        const ok = access()
        if (!ok) counter.refused++
        return ok
      },
    },
  })
  cleanups.push(async () => { await q.stop(); await node.stop() })
  return { node, q }
}

describe('doc-unavailable is never answered with doc-unavailable', () => {
  it('[Y29] two peers refusing each other a document trade a handful of messages, not a storm, and the guard says what it dropped', async () => {
    const x = { refused: 0 }
    const y = { refused: 0 }
    // X holds the document and announces it to Y, but refuses Y access (Y is no longer a member for X); Y
    // refuses X (Y no longer hosts the project). This is the revoked relay and its federated relay.
    const px = await peer(() => false, () => true, x)
    const py = await peer(() => false, () => false, y)
    const handle = px.q.repo.create<{ text: string }>({ text: 'hello' })
    await dialNode(px.node, py.node)
    await waitUntil(() => px.q.repo.peers.includes(py.node.peerId.toString() as PeerId), 10_000, 'X syncing with Y')
    await waitUntil(() => y.refused > 0, 10_000, 'Y refusing X the document')
    // Let any bouncing run, then count over a second of idle.
    await new Promise((r) => setTimeout(r, 1_000))
    const before = x.refused + y.refused
    await new Promise((r) => setTimeout(r, 1_000))
    const during = x.refused + y.refused - before
    console.log(`refusals in 1 s at idle: ${during}; total ${x.refused + y.refused}; echoes dropped: X ${px.q.unavailableEcho.suppressed}, Y ${py.q.unavailableEcho.suppressed}`)
    expect(during).toBeLessThanOrEqual(2)
    expect(px.q.unavailableEcho.suppressed + py.q.unavailableEcho.suppressed).toBeGreaterThan(0)
    // X still has its document, untouched.
    expect(A.getHeads(handle.doc()).length).toBe(1)
  })
})
