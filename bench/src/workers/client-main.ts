// A worker process of the relay benchmarks: holds many clients of one stack (Quire libp2p peers dialing the
// relay, or stock automerge-repo WebSocket clients of the sync server), several per process so that
// hundreds of peers fit on two cores, and so that the relay or server under test runs in a process of its
// own whose CPU and memory are measured honestly.
//
// Speaks the ready/request IPC protocol of @quire/node/testing's `startProcess`. Node entry point: @quire/node
// first, for its polyfills (Promise.withResolvers, WebSocket).
import { createQuireNode, createQuireRepo, isLibp2pStreamRace, type QuireNode, type QuireRepo } from '@quire/node'
import { serveCommands, type ServedCommand } from '@quire/node/testing'
import * as A from '@automerge/automerge'
import { Repo, type AutomergeUrl, type DocHandle, type PeerId } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { multiaddr } from '@multiformats/multiaddr'

/** Cross-process clock: see bench/src/lib/proc.ts `wallNow`. */
const wallNow = (): number => performance.timeOrigin + performance.now()
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export type ClientKind = 'quire' | 'stock'

interface Client {
  readonly name: string
  readonly repo: Repo
  /** Connects to the server, retrying refused dials; resolves once a sync link is open. */
  connect(): Promise<ConnectTime>
  /** Closes the connection to the server and connects again (the sync link restarts). */
  reconnect(): Promise<void>
  stop(): Promise<void>
}

/** Milliseconds from the first dial to an open sync link, and from the dial that succeeded; dials refused. */
export interface ConnectTime { ms: number; lastAttemptMs: number; refused: number }

interface TypingDoc { typing: Record<string, string> }

/** Commands of the worker process (for typed `PeerProcess.request` calls). */
export interface ClientWorkerCommands {
  [command: string]: { params: unknown; result: unknown }
  /** This process's `wallNow()`, to measure its clock offset from the parent. */
  now: { params: undefined; result: number }
  /** Creates one client per name (libp2p nodes are created and started here, not yet dialed). */
  start: { params: { kind: ClientKind; names: string[]; server: string; serverPeerId: string }; result: null }
  /** Connects every client at once; milliseconds from each dial's start to its open sync link. */
  connect: { params: undefined; result: ConnectTime[] }
  /** First client: creates `count` text documents, `batch` at a time, each acknowledged by the server. */
  upload: { params: { count: number; corpus: string; batch: number }; result: { urls: string[]; stalls: number } }
  /** First client: opens each document, changes it once, and waits for the server's acknowledgement. */
  touch: { params: { urls: string[]; concurrency: number }; result: null }
  /** First client: creates the typing document with one text field per writer; acknowledged by the server. */
  createTypingDoc: { params: { writers: string[] }; result: string }
  /** Every client opens the typing document and starts recording when each keystroke of the others arrives. */
  openTypingDoc: { params: { url: string }; result: null }
  /** Every client types `rateHz` characters a second into its own field from `startAt` (wall ms) for `durationMs`. */
  type: { params: { startAt: number; rateHz: number; durationMs: number }; result: null }
  /** Send times of each writer here, and arrival times at each client here of every other writer's keystrokes. */
  collect: { params: undefined; result: TypingRecord }
  /** Stops every client. */
  stopAll: { params: undefined; result: null }
}

export interface TypingRecord {
  /** writer -> wall time of its k-th keystroke */
  sent: Record<string, number[]>
  /** receiver -> writer -> wall time at which the receiver held that writer's k-th keystroke */
  arrived: Record<string, Record<string, number[]>>
}

async function quireClient(name: string, server: string, serverPeerId: string): Promise<Client> {
  const node: QuireNode = await createQuireNode({ role: 'peer', listen: [], allowLoopback: true })
  const q: QuireRepo = await createQuireRepo({ libp2p: node })
  const client: Client = {
    name,
    repo: q.repo,
    async connect() {
      // A refused dial (the relay's per-host limits: libp2p allows 5 new inbound connections a second from
      // one address, 10 being upgraded at once) is retried after a short random pause, as a client would.
      const started = performance.now()
      let refused = 0
      for (;;) {
        const attempt = performance.now()
        try {
          await node.dial(multiaddr(server), { signal: AbortSignal.timeout(30_000) })
          await peerEvent(q.repo, serverPeerId)
          return { ms: performance.now() - started, lastAttemptMs: performance.now() - attempt, refused }
        } catch (err) {
          if (performance.now() - started > 120_000) throw err
          refused++
          await sleep(200 + Math.random() * 800)
        }
      }
    },
    async reconnect() {
      await node.hangUp(multiaddr(server)).catch(() => {})
      await sleep(500)
      await client.connect()
    },
    async stop() {
      await q.stop().catch(() => {})
      await sleep(100)
      await Promise.resolve(node.stop()).catch(() => {})
    },
  }
  return client
}

async function stockClient(name: string, server: string): Promise<Client> {
  let repo: Repo | undefined
  return {
    name,
    get repo(): Repo {
      if (repo === undefined) throw new Error('not connected')
      return repo
    },
    async connect() {
      const started = performance.now()
      const adapter = new WebSocketClientAdapter(server)
      repo = new Repo({ network: [adapter], peerId: `bench-${name}-${process.pid}` as PeerId, sharePolicy: async () => true })
      await peerEvent(repo, undefined)
      const ms = performance.now() - started
      return { ms, lastAttemptMs: ms, refused: 0 }
    },
    async reconnect() {
      // The stock client adapter reconnects by itself; nothing to force.
    },
    async stop() {
      await repo?.shutdown().catch(() => {})
    },
  }
}

/** Resolves when `repo` has a sync link to `peer` (any peer when undefined). */
function peerEvent(repo: Repo, peer: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no sync link to ${peer ?? 'the server'} within 60 s`)), 60_000)
    const check = (): boolean => {
      if (peer === undefined ? repo.peers.length === 0 : !repo.peers.includes(peer as PeerId)) return false
      clearTimeout(timer)
      repo.networkSubsystem.off('peer', check)
      resolve()
      return true
    }
    if (!check()) repo.networkSubsystem.on('peer', check)
  })
}

/** Whether the server (its storage id) holds every change of `handle`. */
function acknowledged(repo: Repo, handle: DocHandle<unknown>): boolean {
  const serverPeer = repo.peers[0]
  if (serverPeer === undefined) return false
  const storageId = repo.getStorageIdOfPeer(serverPeer)
  if (storageId === undefined) return false
  const theirs: string[] = handle.getSyncInfo(storageId)?.lastHeads ?? []
  const ours = handle.heads()
  return ours.length === theirs.length && ours.every((h) => theirs.includes(h))
}

/**
 * Waits until the server acknowledges every handle. With `onStall`, a wait that makes no progress for
 * `stallMs` calls it (and counts it) instead of failing, then goes on waiting.
 */
async function waitAcknowledged(repo: Repo, handles: DocHandle<unknown>[], timeoutMs = 300_000, onStall?: () => Promise<void>, stallMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs
  let pending = handles
  let progressAt = Date.now()
  let stalls = 0
  for (;;) {
    const before = pending.length
    pending = pending.filter((h) => !acknowledged(repo, h))
    if (pending.length === 0) return stalls
    if (pending.length < before) progressAt = Date.now()
    if (Date.now() > deadline) throw new Error(`${pending.length} documents not acknowledged by the server within ${timeoutMs} ms`)
    if (onStall !== undefined && Date.now() - progressAt > stallMs) {
      stalls++
      process.stderr.write(`[bench] upload stalled: ${pending.length} of ${handles.length} documents unacknowledged for ${stallMs / 1000} s; reconnecting\n`)
      await onStall()
      progressAt = Date.now()
    }
    await sleep(50)
  }
}

async function main(): Promise<void> {
  // A connection the server resets (refused dials, a reconnect after a stall) can surface as an uncaught
  // socket error from a transport, and so can libp2p's stream race (see @quire/node's crash guard): a
  // benchmark client notes them and goes on; anything else ends the process.
  process.on('uncaughtException', (err: Error & { code?: string }) => {
    if (isLibp2pStreamRace(err) || err.code === 'ECONNRESET' || err.code === 'EPIPE') {
      process.stderr.write(`[bench] client ignored: ${err.code ?? err.name}: ${err.message}\n`)
      return
    }
    process.stderr.write(`client-main: ${err.stack ?? err.message}\n`)
    process.exit(1)
  })
  let clients: Client[] = []
  let typingHandles: DocHandle<TypingDoc>[] = []
  const record: TypingRecord = { sent: {}, arrived: {} }
  const timers = new Set<NodeJS.Timeout>()
  const first = (): Client => {
    const c = clients[0]
    if (c === undefined) throw new Error('no clients started')
    return c
  }

  const commands: Record<string, (params: Record<string, unknown>) => Promise<unknown>> = {
    now: async () => wallNow(),
    start: async (p) => {
      const names = p.names as string[]
      const kind = p.kind as ClientKind
      clients = await Promise.all(names.map((name) => kind === 'quire'
        ? quireClient(name, String(p.server), String(p.serverPeerId))
        : stockClient(name, String(p.server))))
      return null
    },
    connect: async () => Promise.all(clients.map((c) => c.connect())),
    upload: async (p) => {
      const client = first()
      const { repo } = client
      let stalls = 0
      const corpus = String(p.corpus)
      const count = Number(p.count)
      const batch = Number(p.batch)
      const urls: string[] = []
      for (let from = 0; from < count; from += batch) {
        const handles: DocHandle<unknown>[] = []
        for (let i = from; i < Math.min(count, from + batch); i++) {
          const start = (i * 997) % Math.max(1, corpus.length - 4096)
          const handle = repo.create<{ content: string; index: number }>({ content: corpus.slice(start, start + 1024 + (i % 2048)), index: i })
          handles.push(handle as DocHandle<unknown>)
          urls.push(handle.url)
        }
        stalls += await waitAcknowledged(repo, handles, 600_000, () => client.reconnect())
        // The uploader is not what is measured: let it forget what the server now holds.
        for (const h of handles) repo.removeFromCache(h.documentId)
      }
      return { urls, stalls }
    },
    touch: async (p) => {
      const { repo } = first()
      const queue = [...(p.urls as string[])]
      const worker = async (): Promise<void> => {
        for (let url = queue.shift(); url !== undefined; url = queue.shift()) {
          const handle = await repo.find<{ touched?: number }>(url as AutomergeUrl, { signal: AbortSignal.timeout(60_000) })
          handle.change((d) => { d.touched = (d.touched ?? 0) + 1 })
          await waitAcknowledged(repo, [handle as DocHandle<unknown>], 60_000)
        }
      }
      await Promise.all(Array.from({ length: Number(p.concurrency) }, worker))
      return null
    },
    createTypingDoc: async (p) => {
      const { repo } = first()
      const typing: Record<string, string> = {}
      for (const w of p.writers as string[]) typing[w] = ''
      const handle = repo.create<TypingDoc>({ typing })
      await waitAcknowledged(repo, [handle as DocHandle<unknown>])
      return handle.url
    },
    openTypingDoc: async (p) => {
      typingHandles = await Promise.all(clients.map((c) => c.repo.find<TypingDoc>(p.url as AutomergeUrl, { signal: AbortSignal.timeout(60_000) })))
      for (const [i, handle] of typingHandles.entries()) {
        const me = clients[i]!.name
        const arrived: Record<string, number[]> = {}
        record.arrived[me] = arrived
        handle.on('change', ({ doc }) => {
          const now = wallNow()
          for (const [writer, text] of Object.entries(doc.typing)) {
            if (writer === me) continue
            const times = (arrived[writer] ??= [])
            for (let k = times.length; k < text.length; k++) times.push(now)
          }
        })
      }
      return null
    },
    type: async (p) => {
      const startAt = Number(p.startAt)
      const period = 1000 / Number(p.rateHz)
      const endAt = startAt + Number(p.durationMs)
      for (const [i, handle] of typingHandles.entries()) {
        const me = clients[i]!.name
        const sent: number[] = (record.sent[me] = [])
        // Writers start at different phases of the keystroke period, as independent typists would.
        const phase = Math.random() * period
        const keystroke = (k: number): void => {
          const at = startAt + phase + k * period
          if (at >= endAt) return
          const timer = setTimeout(() => {
            timers.delete(timer)
            sent.push(wallNow())
            handle.change((d) => A.splice(d, ['typing', me], k, 0, String.fromCharCode(97 + (k % 26))))
            keystroke(k + 1)
          }, Math.max(0, at - wallNow()))
          timers.add(timer)
        }
        keystroke(0)
      }
      return null
    },
    collect: async () => record,
    stopAll: async () => {
      for (const t of timers) clearTimeout(t)
      await Promise.all(clients.map((c) => c.stop()))
      clients = []
      return null
    },
  }

  serveCommands(commands as Record<string, ServedCommand>)
  const exit = (): void => {
    for (const t of timers) clearTimeout(t)
    void Promise.all(clients.map((c) => c.stop())).finally(() => process.exit(0))
    setTimeout(() => process.exit(0), 5_000).unref()
  }
  process.once('SIGTERM', exit)
  process.once('disconnect', exit)
  process.send?.({ type: 'ready', info: { peerId: '', addresses: [], pid: process.pid } })
}

main().catch((err: unknown) => {
  process.stderr.write(`client-main failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
