// The peer system's server, as a separate process: what the stock automerge-repo sync server
// (automerge/automerge-repo-sync-server) runs, a Repo with the WebSocket server adapter and NodeFS storage,
// sharing nothing unasked (`sharePolicy: false`), default settings otherwise. The published
// `@automerge/automerge-repo-sync-server` 0.2.8 is built against automerge-repo 1 (and adds express), so the
// benchmark runs the same three parts at automerge-repo 2.5, the version our stack uses.
//
// Usage (forked by the benchmark, IPC channel required): node automerge-sync-server.js <data dir>
// Speaks the ready/request protocol of @quire/node/testing's `startProcess`.
import { Repo, type PeerId } from '@automerge/automerge-repo'
import { WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { WebSocketServer } from 'ws'

const dataDir = process.argv[2]
if (dataDir === undefined) {
  process.stderr.write('usage: automerge-sync-server.js <data dir>\n')
  process.exit(2)
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
const address = wss.address()
if (address === null || typeof address === 'string') throw new Error('unexpected WebSocket server address')
const repo = new Repo({
  network: [new WebSocketServerAdapter(wss as unknown as ConstructorParameters<typeof WebSocketServerAdapter>[0])],
  storage: new NodeFSStorageAdapter(dataDir),
  peerId: 'storage-server-bench' as PeerId,
  sharePolicy: async () => false,
})

process.on('message', (raw) => {
  const msg = raw as { type?: string; id?: number; command?: string }
  if (msg?.type !== 'request') return
  // One command, for symmetry with the relay's /healthz: how many documents are in memory.
  const loaded = Object.values(repo.handles).filter((h) => h.isReady()).length
  process.send?.({ type: 'response', id: msg.id, ok: true, result: { documentsLoaded: loaded } })
})
let stopping = false
const stop = (): void => {
  if (stopping) return
  stopping = true
  void (async () => {
    await repo.shutdown().catch(() => {})
    for (const ws of wss.clients) ws.terminate()
    await new Promise<void>((resolve) => wss.close(() => resolve()))
  })().finally(() => process.exit(0))
}
process.once('SIGTERM', stop)
process.once('disconnect', stop)
process.send?.({ type: 'ready', info: { peerId: 'storage-server-bench', addresses: [`ws://127.0.0.1:${address.port}`], pid: process.pid } })
