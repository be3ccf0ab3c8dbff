/**
 * Replication as a project service (N19, N28): while this compute peer serves a project, every
 * `pushIntervalMs` it pushes the project's new snapshots to each other peer holding the project's `compute`
 * grant (its standbys) that it is connected to or has addresses of; and when it starts serving a project
 * whose newest replica here is newer than its own newest snapshot of it (it is taking over from a compute
 * peer that is gone), it first fills the workspace in from that replica (takeover.ts).
 */
import { join } from 'node:path'
import type { DocumentId } from '@automerge/automerge-repo'
import type { Libp2p, PeerId } from '@libp2p/interface'
import type { ProjectService, ProjectServiceFactory, ServiceHealth } from '../../runtime/service.js'
import type { ProjectSnapshots } from '../service.js'
import { HashCache } from './files-format.js'
import { pushSnapshots, type PushInit } from './sender.js'
import { ReplicaStore } from './store.js'
import { restoreFromReplica } from './takeover.js'
import type { ReplicaAccess, TransferStats } from './types.js'

export interface ReplicationServiceInit {
  readonly libp2p: Pick<Libp2p, 'dial' | 'getConnections' | 'peerId' | 'peerStore'>
  readonly access: Pick<ReplicaAccess, 'isComputePeer'> & {
    /** The peers holding the project's `compute` grant now. */
    computePeers(project: string): Promise<string[]>
  }
  /** The running snapshot services by project (what is pushed). */
  readonly registry: ReadonlyMap<DocumentId, ProjectSnapshots>
  /** Where this peer keeps replicas (`<root>/<project>`), as given to `serveReplicas`. */
  readonly root: string
  /** How often new snapshots are pushed, ms. Default 60 s. */
  readonly pushIntervalMs?: number
  /** How long a takeover waits for the documents to arrive before restoring their files instead, ms. Default 15 s. */
  readonly takeoverWaitMs?: number
}

export function replicationService(init: ReplicationServiceInit): ProjectServiceFactory {
  return async (ctx) => {
    const snapshots = init.registry.get(ctx.project)
    const store = new ReplicaStore(join(init.root, ctx.project))
    // Taking over: the newest replica is newer than anything this peer snapshotted of the project itself.
    const own = snapshots === undefined ? undefined : (await snapshots.driver.list()).at(-1)
    const replica = (await store.list()).at(-1)
    if (snapshots !== undefined && replica !== undefined && (own === undefined || own.id < replica.id)) {
      const result = await restoreFromReplica({ store, workdir: ctx.workdir, repo: ctx.repo, project: ctx.project, ...(init.takeoverWaitMs !== undefined && { waitMs: init.takeoverWaitMs }) })
      ctx.log(`replicas: took the project over from replica ${result.snapshot}: ${result.written} files written, ${result.skipped} left to the documents${result.lacking.length > 0 ? `, ${result.lacking.length} documents lacking their recorded changes restored from the files` : ''}`)
    }
    return new Replication(init, ctx.project, ctx.log)
  }
}

class Replication implements ProjectService {
  readonly name = 'replication'
  readonly #init: ReplicationServiceInit
  readonly #project: DocumentId
  readonly #log: (line: string) => void
  readonly #hashes = new HashCache()
  /** The newest snapshot each standby was seen to hold: nothing is dialled while nothing is new. */
  readonly #pushed = new Map<string, string>()
  readonly #timer: NodeJS.Timeout
  #running: Promise<unknown> = Promise.resolve()
  #problem: string | undefined
  #stopped = false

  constructor(init: ReplicationServiceInit, project: DocumentId, log: (line: string) => void) {
    this.#init = init
    this.#project = project
    this.#log = log
    this.#timer = setInterval(() => void this.push(), init.pushIntervalMs ?? 60_000)
    this.#timer.unref()
  }

  /** Pushes new snapshots to every reachable standby now (what the interval runs). */
  push(): Promise<Map<string, TransferStats[]>> {
    const run = this.#running.then(() => this.#push())
    this.#running = run.catch(() => undefined)
    return run
  }

  async #push(): Promise<Map<string, TransferStats[]>> {
    const out = new Map<string, TransferStats[]>()
    const snapshots = this.#init.registry.get(this.#project)
    if (this.#stopped || snapshots === undefined) return out
    const driver = snapshots.driver as ProjectSnapshots['driver'] & { store?: string }
    if (driver.store === undefined) return out
    const newest = (await driver.list()).at(-1)
    if (newest === undefined) return out
    const self = this.#init.libp2p.peerId.toString()
    const problems: string[] = []
    for (const peer of await this.#init.access.computePeers(this.#project)) {
      if (peer === self || this.#pushed.get(peer) === newest.id) continue
      const dial = await this.#dialable(peer)
      if (dial === undefined) continue
      const source: PushInit['source'] = { kind: driver.kind, store: driver.store, list: () => driver.list() }
      try {
        const sent = await pushSnapshots({ libp2p: this.#init.libp2p, to: peer, dial, project: this.#project, source, access: this.#init.access, hashes: this.#hashes })
        this.#pushed.set(peer, newest.id)
        out.set(peer, sent)
        for (const s of sent) if (s.already !== true) this.#log(`replicas: sent snapshot ${s.id} to ${peer} (${s.format}${s.parent === undefined ? ', whole' : `, against ${s.parent}`}): ${s.bytes} bytes`)
      } catch (err) {
        problems.push(`${peer}: ${(err as { code?: string }).code ?? 'REPLICA_FAILED'}: ${(err as Error).message}`)
      }
    }
    const problem = problems.length === 0 ? undefined : problems.join('; ')
    // Said once, not every interval: a standby that is down stays down for a while.
    if (problem !== undefined && problem !== this.#problem) this.#log(`replicas: ${problem}`)
    this.#problem = problem
    return out
  }

  /** A standby's peer id to dial: connected, or known to the peer store (its addresses); else it is tried next time. */
  async #dialable(peer: string): Promise<PeerId | undefined> {
    const connected = this.#init.libp2p.getConnections().find((c) => c.remotePeer.toString() === peer)?.remotePeer
    if (connected !== undefined) return connected
    const known = await this.#init.libp2p.peerStore.all({ filters: [(p) => p.id.toString() === peer && p.addresses.length > 0] }).catch(() => [])
    return known[0]?.id
  }

  health(): ServiceHealth {
    if (this.#stopped) return { state: 'stopped' }
    return this.#problem === undefined ? { state: 'ok' } : { state: 'degraded', detail: this.#problem }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    await this.#running.catch(() => undefined)
  }
}
