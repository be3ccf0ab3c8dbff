import { createQuireNode, createQuireRepo, type QuireNode, type QuireRepo } from '@quire/node'
import { multiaddr } from '@multiformats/multiaddr'
import { startByteCountingProxy } from '../lib/byte-counting-proxy.js'
import type { Stack, Pair } from './stack.js'

/** Our stack: automerge-repo over `/quire/sync/1.0.0` on libp2p (TCP, noise, yamux), immediate sync on. */
export const quireLibp2p: Stack = {
  name: 'Quire: libp2p /quire/sync/1.0.0',
  async pair(options = {}): Promise<Pair> {
    const nodes: QuireNode[] = []
    const repos: QuireRepo[] = []
    const node = async () => {
      const n = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
      nodes.push(n)
      return n
    }
    const nodeA = await node()
    const a = await createQuireRepo({ libp2p: nodeA })
    repos.push(a)
    await options.prepare?.(a.repo)
    const tcpPort = nodeA.getMultiaddrs().map((m) => /^\/ip4\/127\.0\.0\.1\/tcp\/(\d+)(\/p2p\/[^/]+)?$/.exec(m.toString())?.[1]).find(Boolean)
    if (tcpPort === undefined) throw new Error('peer A has no TCP address')
    const proxy = options.countBytes === true ? await startByteCountingProxy(Number(tcpPort)) : undefined
    const nodeB = await node()
    const b = await createQuireRepo({ libp2p: nodeB })
    repos.push(b)
    await nodeB.dial(multiaddr(`/ip4/127.0.0.1/tcp/${proxy?.port ?? tcpPort}/p2p/${nodeA.peerId.toString()}`))
    await waitFor(() => b.repo.peers.includes(nodeA.peerId.toString() as never) && a.repo.peers.includes(nodeB.peerId.toString() as never))
    return {
      a: a.repo,
      b: b.repo,
      wireBytes: () => proxy?.bytes() ?? 0,
      async close() {
        for (const r of repos.reverse()) await r.stop()
        for (const n of nodes) await n.stop()
        await proxy?.close()
      },
    }
  },
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('peers did not connect')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
