// A writer process for relay tests: streams numbered changes into one document and tracks which of them
// the relay has acknowledged (the relay's heads, as automerge-repo reports them with `getSyncInfo`).
// Speaks the IPC protocol of @quire/node/testing's `startProcess`. Node entry point: @quire/node first,
// for its polyfills.
import { createQuireNode, createQuireRepo } from '@quire/node'
import { serveCommands, type ServedCommand } from '@quire/node/testing'
import { multiaddr } from '@multiformats/multiaddr'
import { randomBytes } from 'node:crypto'
import type { AutomergeUrl, DocHandle, PeerId } from '@automerge/automerge-repo'

interface LogDoc { log: number[] }

/** Commands of the writer process, for typed `PeerProcess.request` calls. */
export interface WriterCommandTypes {
  [command: string]: { params: unknown; result: unknown }
  /** Dials the relay at `address` (a multiaddr with /p2p/). */
  dial: { params: { address: string }; result: null }
  /** Creates the document and starts writing one change every `intervalMs`; returns the document URL. */
  startWriting: { params: { relayPeerId: string; intervalMs: number }; result: string }
  /** Highest number written, and highest number whose change the relay acknowledged. */
  status: { params: undefined; result: WriterStatus }
  /** Stops writing. */
  stopWriting: { params: undefined; result: WriterStatus }
  /**
   * Floods the connected relay with `count` new documents (mode `documents`) or changes to one document
   * (mode `changes`), `perTick` of them every tick, each carrying `bytes` random bytes, or until `stopFlood`.
   * The count is kept here, so the flood ends even when it leaves this process too busy to take orders; and
   * a load stated as a count is the same on a fast machine and a slow one.
   */
  flood: { params: { mode: 'documents' | 'changes'; bytes: number; perTick: number; count: number }; result: null }
  /** Stops flooding; returns how many documents and changes it made. */
  stopFlood: { params: undefined; result: { documents: number; changes: number } }
}

/** What the writer reports. */
export interface WriterStatus {
  written: number
  acked: number
  /** Whether a sync stream to the relay is up. */
  linked: boolean
}


async function main(): Promise<void> {
  const node = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
  const q = await createQuireRepo({ libp2p: node })
  let handle: DocHandle<LogDoc> | undefined
  let relayPeerId: string | undefined
  let timer: NodeJS.Timeout | undefined
  let written = 0
  let flooding = false
  const flooded = { documents: 0, changes: 0 }
  let acked = 0
  /** Heads after each change (the chain is linear: one writer) -> the number that change wrote. */
  const numberByHead = new Map<string, number>()

  const noteAck = (): void => {
    if (handle === undefined || relayPeerId === undefined) return
    const storageId = q.repo.getStorageIdOfPeer(relayPeerId as PeerId)
    if (storageId === undefined) return
    for (const head of handle.getSyncInfo(storageId)?.lastHeads ?? []) {
      const n = numberByHead.get(head)
      if (n !== undefined && n > acked) acked = n
    }
  }
  const status = (): WriterStatus => {
    noteAck()
    return { written, acked, linked: relayPeerId !== undefined && q.repo.peers.includes(relayPeerId as PeerId) }
  }

  const commands: Record<string, (params: Record<string, unknown>) => Promise<unknown>> = {
    dial: async (p) => {
      await node.dial(multiaddr(String(p.address)), { signal: AbortSignal.timeout(10_000) })
      return null
    },
    startWriting: async (p) => {
      relayPeerId = String(p.relayPeerId)
      const h = q.repo.create<LogDoc>({ log: [] })
      handle = h
      numberByHead.set(h.heads()[0]!, 0)
      h.on('remote-heads', noteAck)
      timer = setInterval(() => {
        const n = ++written
        h.change((d) => { d.log.push(n) })
        numberByHead.set(h.heads()[0]!, n)
      }, Number(p.intervalMs))
      return h.url as AutomergeUrl
    },
    status: async () => status(),
    flood: async (p) => {
      const bytes = Number(p.bytes)
      const perTick = Number(p.perTick)
      // Random bytes (Automerge compresses its changes, so repeated ones would stay small), as a bytes value:
      // a string would be collaborative text, one operation per character.
      const payload = (): Uint8Array => new Uint8Array(randomBytes(bytes))
      const target = p.mode === 'changes' ? q.repo.create<{ blob?: Uint8Array }>({}) : undefined
      flooding = true
      let left = Number(p.count)
      const tick = (): void => {
        if (!flooding || left <= 0) return
        for (let i = 0; i < perTick && left > 0; i++, left--) {
          if (target === undefined) {
            q.repo.create({ blob: payload() })
            flooded.documents++
          } else {
            target.change((d) => { d.blob = payload() })
            flooded.changes++
          }
        }
        setTimeout(tick, 1)
      }
      tick()
      return null
    },
    stopFlood: async () => {
      flooding = false
      return { ...flooded }
    },
    stopWriting: async () => {
      clearInterval(timer)
      return status()
    },
  }

  serveCommands(commands as Record<string, ServedCommand>)
  const exit = (): void => {
    clearInterval(timer)
    flooding = false
    void q.stop().then(() => node.stop()).finally(() => process.exit(0))
  }
  process.once('SIGTERM', exit)
  process.once('disconnect', exit)
  process.send?.({ type: 'ready', info: { peerId: node.peerId.toString(), addresses: node.getMultiaddrs().map(String), pid: process.pid } })
}

main().catch((err: unknown) => {
  process.stderr.write(`writer-main failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
