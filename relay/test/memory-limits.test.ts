import { afterEach, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { createQuireNode } from '@quire/node'
import { waitForDoc, waitUntil } from '@quire/node/testing'
import { resolveRelayConfig, startRelay, type RelayHandle } from '@quire/relay'
import { Repo } from '@automerge/automerge-repo'
import { DocUnloader } from '../src/hosting/doc-unloader.js'
import { startClient, type Client } from './client.js'
import { tempDir } from './helpers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function inProcessRelay(flags: string[]): Promise<RelayHandle> {
  const { dir, remove } = await tempDir('quire-relay-mem-')
  cleanups.push(remove)
  const { config } = resolveRelayConfig(['--data-dir', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--allow-loopback', ...flags], {})
  const relay = await startRelay(config!, { log: () => {} })
  cleanups.push(() => relay.stop())
  return relay
}

async function client(): Promise<Client> {
  const c = await startClient()
  cleanups.push(() => c.stop())
  return c
}

describe('relay memory and limits', () => {
  it('[RL50] past the limit, idle documents are unloaded least recently used first; documents in use are kept', async () => {
    const relay = await inProcessRelay(['--hosting', 'open', '--max-loaded-documents', '2', '--idle-unload-ms', '60000'])
    const writer = await client()
    await writer.dial(relay.addresses[0]!)
    const handles = Array.from({ length: 5 }, (_, i) => writer.q.repo.create({ n: i }))
    await waitUntil(() => relay.stats().documentsLoaded === 5, 20_000, 'five documents on the relay')
    // Let the five initial exchanges settle, then use documents 4 and 0, in that order: they are the two most
    // recently used, whatever order the initial exchanges happened to finish in.
    await new Promise((r) => setTimeout(r, 500))
    for (const i of [4, 0]) {
      handles[i]!.change((d) => { d.n = 10 + i })
      await waitUntil(() => relay.repo.handles[handles[i]!.documentId]?.doc()?.n === 10 + i, 20_000, `the change to document ${i} on the relay`)
      await new Promise((r) => setTimeout(r, 300))
    }
    await new Promise((r) => setTimeout(r, 400))
    expect(relay.stats().documentsLoaded).toBe(5) // in use by a connected member
    await writer.stop()
    await waitUntil(() => relay.stats().documentsLoaded === 2, 20_000, 'the least recently used unloaded')
    const loaded = Object.values(relay.repo.handles).filter((h) => h.isReady()).map((h) => h.documentId).sort()
    expect(loaded).toEqual([handles[0]!.documentId, handles[4]!.documentId].sort())
  })

  it('[RL50] documents idle for idleUnloadMs are unloaded and load again from disk on demand', async () => {
    const relay = await inProcessRelay(['--hosting', 'open', '--idle-unload-ms', '300'])
    const writer = await client()
    await writer.dial(relay.addresses[0]!)
    const urls = Array.from({ length: 5 }, (_, i) => writer.q.repo.create({ n: i }).url)
    await waitUntil(() => relay.stats().documentsHosted === 5 && relay.stats().documentsLoaded === 5, 20_000, 'five documents on the relay')
    await writer.stop()
    await waitUntil(() => relay.stats().documentsLoaded === 0, 20_000, 'idle documents unloaded')
    expect(relay.stats().documentsUnloaded).toBe(5)
    const reader = await client()
    await reader.dial(relay.addresses[0]!)
    const again = await reader.q.repo.find<{ n: number }>(urls[3]!, { signal: AbortSignal.timeout(20_000) })
    await waitForDoc(again, (d) => d.n === 3)
    expect(relay.stats().documentsLoaded).toBe(1)
  })

  it('[RL50] a sweep that unloads a thousand documents at once yields to the event loop as it goes', async () => {
    const repo = new Repo({ network: [] })
    for (let i = 0; i < 1_000; i++) repo.create({ text: `document ${i} `.repeat(50) })
    await new Promise((r) => setTimeout(r, 500)) // let the creations settle
    const unloader = new DocUnloader({ repo, maxLoaded: 0, idleMs: 0, isBackgroundPeer: () => false, intervalMs: 3_600_000 })
    cleanups.push(async () => { unloader.stop(); await repo.shutdown() })
    // A timer every 5 ms stands for the relay's other work (sync, HTTP, disk completions).
    let last = performance.now()
    let longestGap = 0
    let ticks = 0
    const ticker = setInterval(() => {
      const now = performance.now()
      longestGap = Math.max(longestGap, now - last)
      last = now
      ticks++
    }, 5)
    const started = performance.now()
    await unloader.sweep()
    const took = performance.now() - started
    longestGap = Math.max(longestGap, performance.now() - last)
    clearInterval(ticker)
    console.log(`[RL50] unloaded ${unloader.unloaded} documents in ${took.toFixed(0)} ms; a 5 ms timer ran ${ticks} times meanwhile, its longest wait ${longestGap.toFixed(0)} ms`)
    expect(unloader.unloaded).toBe(1_000)
    expect(Object.values(repo.handles).filter((h) => h.isReady())).toHaveLength(0)
    // Unsliced, the whole sweep ran as one chain of microtasks: the timer did not run at all until it ended.
    expect(ticks).toBeGreaterThan(3)
    expect(longestGap).toBeLessThan(took / 3)
  })

  it('[RL51] inbound connections past the limit are refused; circuit relay reservations are counted', async () => {
    const relay = await inProcessRelay(['--max-connections', '2'])
    const a = await client()
    await a.dial(relay.addresses[0]!)
    // A peer that listens through the relay takes a reservation.
    const b = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0', '/p2p-circuit'], allowLoopback: true })
    cleanups.push(async () => { await b.stop() })
    await b.dial(multiaddr(relay.addresses[0]!))
    await waitUntil(() => relay.stats().reservations === 1, 20_000, 'a reservation')
    expect(relay.stats().connections).toBe(2)
    const c = await client()
    await c.node.dial(multiaddr(relay.addresses[0]!)).catch(() => undefined)
    await new Promise((r) => setTimeout(r, 500))
    expect(relay.stats().connections).toBeLessThanOrEqual(2)
    expect(c.node.getConnections().filter((x) => x.remotePeer.toString() === relay.peerId)).toEqual([])
  })
})
