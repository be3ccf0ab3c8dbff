import { afterAll, describe, expect, it } from 'vitest'
import type { DocumentId } from '@automerge/automerge-repo'
import { createQuireRepo, type QuireNode, type QuireRepo } from '@quire/node'
import { dialNode, startLoopbackNode, waitUntil } from '@quire/node/testing'

const COUNT = process.env.QUIRE_LONG === '1' ? 10_000 : 1_000

interface Doc { i: number; title: string }

describe('/quire/sync/1.0.0 at scale', () => {
  const nodes: QuireNode[] = []
  const repos: QuireRepo[] = []
  afterAll(async () => {
    await Promise.all(repos.map((r) => r.stop()))
    await Promise.all(nodes.map((n) => n.stop()))
  })

  it(`[Y11] ${COUNT} documents reach a peer that connects afterwards`, async () => {
    const [na, nb] = await Promise.all([startLoopbackNode(), startLoopbackNode()])
    nodes.push(na, nb)
    const a = await createQuireRepo({ libp2p: na })
    const b = await createQuireRepo({ libp2p: nb })
    repos.push(a, b)
    const ids: DocumentId[] = []
    const created = performance.now()
    for (let i = 0; i < COUNT; i++) ids.push(a.repo.create<Doc>({ i, title: `doc ${i}` }).documentId)
    console.log(`[Y11] ${COUNT} documents created in ${(performance.now() - created).toFixed(0)} ms`)

    const start = performance.now()
    await dialNode(na, nb)
    await waitUntil(() => ids.every((id, i) => {
      const h = b.repo.handles[id]
      return h !== undefined && h.isReady() && (h.doc() as Doc).i === i
    }), 170_000, `${COUNT} documents on b`)
    const ms = performance.now() - start
    console.log(`[Y11] ${COUNT} documents synced in ${ms.toFixed(0)} ms (${(ms / COUNT).toFixed(2)} ms/doc)`)
    expect(Object.keys(b.repo.handles).length).toBeGreaterThanOrEqual(COUNT)
  }, 180_000) // About 15 s alone; a 2-core machine shared with other suites can make it several times slower.
})
