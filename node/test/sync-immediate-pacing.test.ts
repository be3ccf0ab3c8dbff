import { afterEach, describe, expect, it } from 'vitest'
import type { DocHandle } from '@automerge/automerge-repo'
import type { QuireNode } from '@quire/node'
import { createQuireRepo, enableImmediateSync, type ImmediateSyncOptions, type QuireRepo } from '@quire/node'
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

async function pair(options: ImmediateSyncOptions): Promise<{ a: QuireRepo; b: QuireRepo; onA: DocHandle<Doc>; onB: DocHandle<Doc> }> {
  const na = await startLoopbackNode()
  const nb = await startLoopbackNode()
  nodes.push(na, nb)
  const a = await createQuireRepo({ libp2p: na, immediateSync: false })
  const b = await createQuireRepo({ libp2p: nb, immediateSync: false })
  repos.push(a, b)
  stops.push(enableImmediateSync(a.repo, options), enableImmediateSync(b.repo, options))
  await dialNode(na, nb)
  await waitUntil(() => a.adapter.peers.length === 1 && b.adapter.peers.length === 1, 10_000, 'peers')
  const onA = a.repo.create<Doc>({ count: 0 })
  const onB = await b.repo.find<Doc>(onA.url, { signal: AbortSignal.timeout(10_000) })
  await waitForDoc(onB, (d) => d.count === 0)
  return { a, b, onA, onB }
}

/** 200 changes on A, each in its own turn of the event loop; returns A's frames sent meanwhile. */
async function burst(p: { a: QuireRepo; onA: DocHandle<Doc>; onB: DocHandle<Doc> }): Promise<number> {
  await new Promise((r) => setTimeout(r, 300)) // let the initial exchange and any paced flush settle
  const before = p.a.adapter.stats.framesSent
  for (let i = 1; i <= 200; i++) {
    p.onA.change((d) => { d.count = i })
    await new Promise((r) => setImmediate(r))
  }
  await waitForDoc(p.onB, (d) => d.count === 200)
  return p.a.adapter.stats.framesSent - before
}

describe('pacing of immediate sync', () => {
  it('[Y25] a busy document is flushed at most once per pace interval, carrying every change made meanwhile', async () => {
    // paceFactor 0: no pacing, one message per change (the control). A large factor with a 20 ms cap: a
    // 200-change burst that takes a few ms per change goes out in far fewer messages, and all of it arrives.
    const unpaced = await burst(await pair({ paceFactor: 0 }))
    const paced = await burst(await pair({ paceFactor: 1_000, maxPaceMs: 20 }))
    expect(unpaced).toBeGreaterThanOrEqual(200)
    expect(paced).toBeLessThan(unpaced / 2)
  })

  it('[Y25] a quiet document is still flushed at once', async () => {
    const p = await pair({ paceFactor: 1_000, maxPaceMs: 200 })
    const early: number[] = []
    for (let i = 1; i <= 10; i++) {
      // Longer apart than the longest pace: every change finds the document quiet, and goes before any timer.
      await new Promise((r) => setTimeout(r, 250))
      early.push(await framesSentBeforeAnyTimer(p.a.adapter.stats, () => p.onA.change((d) => { d.count = 1000 + i })))
      await waitForDoc(p.onB, (d) => d.count === 1000 + i, 30_000)
    }
    expect(early.every((n) => n >= 1)).toBe(true)
  })
})
