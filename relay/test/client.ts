import { multiaddr } from '@multiformats/multiaddr'
import { createQuireNode, createQuireRepo, type QuireNode, type QuireRepo } from '@quire/node'
import { waitUntil } from '@quire/node/testing'

/** An in-process member peer (memory only) for relay tests. */
export interface Client {
  node: QuireNode
  q: QuireRepo
  dial(address: string): Promise<void>
  stop(): Promise<void>
}

export async function startClient(): Promise<Client> {
  const node = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
  const q = await createQuireRepo({ libp2p: node })
  let stopped = false
  return {
    node,
    q,
    // Resolves once the sync stream is up: a find before that has no peer to ask and fails at once.
    dial: async (address) => {
      const ma = multiaddr(address)
      const peer = ma.getComponents().find((c) => c.name === 'p2p')?.value
      await node.dial(ma)
      await waitUntil(() => q.repo.peers.includes(peer as never), 15_000, `a sync stream to ${peer}`)
    },
    stop: async () => {
      if (stopped) return
      stopped = true
      await q.stop()
      // The other side reopens a closed sync stream while the connection lives; let that settle before
      // closing the connection, or yamux (8.0.3) throws from a microtask on the half-closed connection.
      await new Promise((r) => setTimeout(r, 200))
      await node.stop()
    },
  }
}
