/**
 * L23: liveness checks that tell a slow peer from a dead one. A peer process whose event loop is blocked
 * (a starved machine) keeps its connection; a frozen one (SIGSTOP: the kernel still ACKs its TCP) loses it;
 * and this node being too busy to hear answers is not held against the peer.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { createQuireNode, type LivenessInit, type QuireNode } from '@quire/node'
import { startPeer, stopAllProcesses, waitUntil, type PeerProcess } from '@quire/node/testing'

const dirs: string[] = []
const nodes: QuireNode[] = []
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop()
  await stopAllProcesses()
})
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function pair(liveness?: LivenessInit): Promise<{ a: QuireNode; b: PeerProcess; connectionId: () => string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'quire-liveness-'))
  dirs.push(dir)
  const b = await startPeer({ role: 'peer', dataDir: join(dir, 'b'), listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true }, { name: 'b' })
  const a = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true, ...(liveness !== undefined && { liveness }) })
  nodes.push(a)
  await a.dial(multiaddr(b.info.addresses[0]!))
  const connectionId = (): string[] => a.getConnections().filter((c) => c.remotePeer.toString() === b.info.peerId && c.status === 'open').map((c) => c.id)
  return { a, b, connectionId }
}

const busy = (ms: number): void => {
  const until = Date.now() + ms
  while (Date.now() < until) { /* this node starved */ }
}

describe('liveness (L23)', () => {
  it('[L23] a peer whose event loop is blocked for 15 s keeps its connection (default settings)', async () => {
    const { a, b, connectionId } = await pair()
    const before = connectionId()
    expect(before).toHaveLength(1)
    // Any ping the node sends during those 15 s waits 0 to 15 s for its answer; libp2p's monitor aborted
    // after 5 s.
    await b.request('block', { ms: 15_000 }, { timeout: 60_000 })
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(connectionId()).toEqual(before)
    expect(a.services.liveness.stats.aborted).toBe(0)
  }, 60_000)

  it('[L23] a frozen peer (SIGSTOP) loses its connection after three missed pings', async () => {
    const { a, b, connectionId } = await pair({ intervalMs: 300, timeoutMs: 300, maxMisses: 3 })
    expect(connectionId()).toHaveLength(1)
    process.kill(b.pid, 'SIGSTOP')
    try {
      await waitUntil(() => connectionId().length === 0, 20_000, 'the connection to the frozen peer aborted')
      expect(a.services.liveness.stats.aborted).toBe(1)
      expect(a.services.liveness.stats.misses).toBeGreaterThanOrEqual(3)
    } finally {
      process.kill(b.pid, 'SIGCONT')
    }
  }, 30_000)

  it('[L23] pings this node was too busy to hear answered are not counted as misses', async () => {
    const { a, connectionId } = await pair({ intervalMs: 200, timeoutMs: 200, maxMisses: 2, lagToleranceMs: 500 })
    const before = connectionId()
    // Starved for 1.2 s right after each of a few pings went out: its answer arrives while this node is busy,
    // and its timeout fires before the answer is read.
    const end = Date.now() + 40_000
    for (let spells = 0; spells < 3 && Date.now() < end; spells++) {
      const sent = a.services.liveness.stats.pings
      while (a.services.liveness.stats.pings === sent && Date.now() < end) await new Promise((resolve) => setImmediate(resolve))
      busy(1_200)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(connectionId()).toEqual(before)
    expect(a.services.liveness.stats.excused).toBeGreaterThanOrEqual(2)
    expect(a.services.liveness.stats.aborted).toBe(0)
  }, 90_000)
})
