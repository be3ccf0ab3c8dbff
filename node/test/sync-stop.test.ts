import { afterEach, describe, expect, it } from 'vitest'
import { MemoryLevel } from 'memory-level'
import { LevelStorageAdapter } from '@quire/crdt'
import { createQuireRepo, type QuireNode } from '@quire/node'
import { dialNode, startLoopbackNode, waitForDoc, waitUntil } from '@quire/node/testing'
import { StoppableStorage } from '../src/sync/stoppable-storage.js'

const nodes: QuireNode[] = []
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop()
})

describe('stopping a repo', () => {
  it('[Y18] after stop(), late sync-state saves from automerge-repo timers never reach the closed storage', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const [nodeA, nodeB] = [await startLoopbackNode(), await startLoopbackNode()]
      nodes.push(nodeA, nodeB)
      const db = new MemoryLevel<string, Uint8Array>()
      const storage = new LevelStorageAdapter(db)
      const a = await createQuireRepo({ libp2p: nodeA, storage })
      // B has storage too: sync states are kept only for peers that announce a storage id.
      const b = await createQuireRepo({ libp2p: nodeB, storage: new LevelStorageAdapter(new MemoryLevel<string, Uint8Array>()) })
      await dialNode(nodeA, nodeB)
      await waitUntil(() => a.repo.peers.length > 0 && b.repo.peers.length > 0, 10_000, 'link')
      const handle = b.repo.create({ n: 1 })
      const onA = await a.repo.find<{ n: number }>(handle.url)
      handle.change((d) => { d.n = 2 })
      await waitForDoc(onA, (d) => d.n === 2)
      // Stop and close at once, while automerge-repo's 100 ms sync-state save throttle is pending.
      await a.stop()
      await storage.close()
      expect(storage.closed).toBe(true)
      await new Promise((resolve) => setTimeout(resolve, 300))
      await b.stop()
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  it('[Y18] a compaction\'s removal that meets the closed database after stop is ignored; a document save still fails', async () => {
    const inner = new LevelStorageAdapter(new MemoryLevel<string, Uint8Array>())
    const storage = new StoppableStorage(inner)
    await storage.save(['doc', 'incremental', 'h1'], new Uint8Array([1]))
    storage.retire()
    await inner.close()
    // A relay's CI run ended with an unhandled STORAGE_FAILED from exactly this (remove of an old snapshot key).
    await expect(storage.remove(['doc', 'snapshot', 'old'])).resolves.toBeUndefined()
    await expect(storage.removeRange(['doc', 'incremental'])).resolves.toBeUndefined()
    await expect(storage.save(['doc', 'snapshot', 'new'], new Uint8Array([2]))).rejects.toMatchObject({ code: 'STORAGE_FAILED' })
    await expect(storage.save(['doc', 'sync-state', 'peer'], new Uint8Array([3]))).resolves.toBeUndefined()
  })
})

