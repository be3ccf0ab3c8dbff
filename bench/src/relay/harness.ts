import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startProcess, type PeerProcess } from '@quire/node/testing'
import { startRelayProcess, type RelayProcess } from '@quire/relay/testing'
import type { ClientKind, ClientWorkerCommands } from '../workers/client-main.js'
import { sleep, wallNow } from '../lib/proc.js'

const workerScript = fileURLToPath(new URL('../workers/client-main.js', import.meta.url))
const stockServerScript = fileURLToPath(new URL('../workers/automerge-sync-server.js', import.meta.url))

/** The two systems compared: what clients run, and what serves them. */
export interface ServerStack {
  readonly kind: ClientKind
  readonly name: string
}
export const relayStack: ServerStack = { kind: 'quire', name: 'Quire relay (libp2p, WebSocket)' }
export const stockServerStack: ServerStack = { kind: 'stock', name: 'automerge-repo sync server (stock)' }
export const serverStacks: ServerStack[] = [relayStack, stockServerStack]

/** A relay or stock sync server running in a process of its own. */
export interface ServerUnderTest {
  readonly kind: ClientKind
  readonly pid: number
  /** What clients dial: the relay's WebSocket multiaddr, or the stock server's ws:// URL. */
  readonly address: string
  readonly peerId: string
  /** Documents the server holds in memory now. */
  loaded(): Promise<number>
  /** Relay only: its `/metrics` text (for `QUIRE_BENCH_METRICS=1` diagnostics). */
  metrics?(): Promise<string>
  /** Stops the server (SIGTERM: both write to disk and exit). */
  stop(): Promise<void>
}

export interface ServerOptions {
  /** Relay only: `--idle-unload-ms`; other relay limits stay at their defaults. */
  idleUnloadMs?: number
}

/**
 * Starts the relay (`quire-relay`, open hosting with quotas large enough for the benchmark, every other
 * limit at its default) or the stock sync server, on `dataDir`, as a child process on 127.0.0.1.
 */
export async function startServer(kind: ClientKind, dataDir: string, options: ServerOptions = {}): Promise<ServerUnderTest> {
  if (kind === 'quire') {
    const relay: RelayProcess = await startRelayProcess([
      '--data-dir', dataDir, '--hosting', 'open', '--max-docs-per-peer', '1000000', '--max-bytes-per-peer', String(64 * 1024 ** 3),
      ...(options.idleUnloadMs !== undefined ? ['--idle-unload-ms', String(options.idleUnloadMs)] : []),
    ], { name: 'relay', readyTimeout: 60_000 })
    const ws = relay.info.addresses.find((a) => a.includes('/ws/'))
    return {
      kind,
      pid: relay.info.pid,
      address: ws ?? relay.tcpAddress,
      peerId: relay.info.peerId,
      async loaded() {
        // A fresh connection each time, and a retry: a kept-alive socket the server has closed resets.
        for (let attempt = 1; ; attempt++) {
          try {
            const res = await fetch(`${relay.httpUrl}/healthz`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(30_000) })
            return ((await res.json()) as { documentsLoaded: number }).documentsLoaded
          } catch (err) {
            if (attempt === 3) throw err
            await sleep(500)
          }
        }
      },
      async metrics() {
        const res = await fetch(`${relay.httpUrl}/metrics`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(30_000) })
        return res.text()
      },
      async stop() { await relay.proc.stop(30_000) },
    }
  }
  const proc = await startProcess<{ [c: string]: { params: unknown; result: unknown }; loaded: { params: undefined; result: { documentsLoaded: number } } }>(
    stockServerScript, { name: 'automerge-sync-server', args: [dataDir], readyTimeout: 60_000 })
  return {
    kind,
    pid: proc.pid,
    address: proc.info.addresses[0]!,
    peerId: proc.info.peerId,
    async loaded() { return (await proc.request('loaded', undefined)).documentsLoaded },
    async stop() { await proc.stop(30_000) },
  }
}

/** A worker process holding clients, with its clock offset from this process. */
export interface Worker {
  readonly proc: PeerProcess<ClientWorkerCommands>
  /** The worker's `wallNow()` minus ours (ms): subtract it from the worker's times to get ours. */
  offsetMs: number
}

export async function startWorker(): Promise<Worker> {
  const proc = await startProcess<ClientWorkerCommands>(workerScript, { name: 'bench-clients', readyTimeout: 60_000 })
  const worker: Worker = { proc, offsetMs: 0 }
  worker.offsetMs = await clockOffset(proc)
  return worker
}

/**
 * The worker's clock minus ours, from the exchange with the shortest round trip of ten (Cristian's
 * method): both processes read `performance.timeOrigin + performance.now()`, whose origins come from the
 * system clock at each process's start and can differ by a fraction of a millisecond.
 */
async function clockOffset(proc: PeerProcess<ClientWorkerCommands>): Promise<number> {
  let best = { rtt: Infinity, offset: 0 }
  for (let i = 0; i < 10; i++) {
    const t0 = wallNow()
    const theirs = await proc.request('now', undefined)
    const t1 = wallNow()
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: theirs - (t0 + t1) / 2 }
  }
  return best.offset
}

/** Runs `body` with a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(prefix: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  try {
    return await body(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Stops workers (their clients first) and the server, whatever happened. */
export async function stopAll(workers: Worker[], server: ServerUnderTest | undefined): Promise<void> {
  await Promise.all(workers.map(async (w) => {
    await w.proc.request('stopAll', undefined, { timeout: 30_000 }).catch(() => {})
    await w.proc.stop(5_000)
  }))
  await server?.stop()
}

/** Splits `names` over `processes` workers as evenly as possible. */
export function split<T>(items: T[], parts: number): T[][] {
  return Array.from({ length: parts }, (_, i) => items.filter((_, j) => j % parts === i))
}

