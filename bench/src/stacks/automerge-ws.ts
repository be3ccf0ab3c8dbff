import { Repo, type PeerId } from '@automerge/automerge-repo'
import { WebSocketClientAdapter, WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { WebSocketServer } from 'ws'
import { startByteCountingProxy } from '../lib/byte-counting-proxy.js'
import type { Stack, Pair } from './stack.js'

/** The peer system: stock automerge-repo 2 with its WebSocket client and server adapters, default settings. */
export const automergeWebSocket: Stack = {
  name: 'automerge-repo + WebSocket (stock)',
  async pair(options = {}): Promise<Pair> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
    const address = wss.address()
    if (address === null || typeof address === 'string') throw new Error('unexpected WebSocket server address')
    const a = new Repo({ network: [new WebSocketServerAdapter(wss as unknown as ConstructorParameters<typeof WebSocketServerAdapter>[0])], peerId: 'bench-a' as PeerId, sharePolicy: async () => true })
    await options.prepare?.(a)
    const proxy = options.countBytes === true ? await startByteCountingProxy(address.port) : undefined
    const client = new WebSocketClientAdapter(`ws://127.0.0.1:${proxy?.port ?? address.port}`)
    const b = new Repo({ network: [client], peerId: 'bench-b' as PeerId, sharePolicy: async () => true })
    await client.whenReady()
    // The client is ready before the server has taken it as a peer; a find() then has nobody to ask and
    // fails as unavailable. Wait until both repos see each other.
    const deadline = Date.now() + 10_000
    while (b.peers.length === 0 || a.peers.length === 0) {
      if (Date.now() > deadline) throw new Error('the WebSocket peers did not see each other')
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    return {
      a,
      b,
      wireBytes: () => proxy?.bytes() ?? 0,
      async close() {
        await b.shutdown()
        await a.shutdown()
        for (const ws of wss.clients) ws.terminate()
        await new Promise<void>((resolve) => wss.close(() => resolve()))
        await proxy?.close()
      },
    }
  },
}
