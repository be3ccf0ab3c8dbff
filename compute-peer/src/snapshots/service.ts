/**
 * Snapshots as a project service (R1): while the project is served, a snapshot every `intervalMs` when the
 * project changed (its documents' heads or its files on disk, N10), pruned by the retention ladder (N11) and
 * the budget (N12); named snapshots and restores for the protocol (N13). State: the snapshot store is the
 * service's state directory (`<data dir>/services/snapshots/<project>`), on the workspace's filesystem.
 */
import type { DocumentId } from '@automerge/automerge-repo'
import type { ProjectService, ProjectServiceContext, ProjectServiceFactory, ServiceHealth } from '../runtime/service.js'
import { createSnapshotDriver } from './detect.js'
import { treeFingerprint } from './fingerprint.js'
import { projectHeads, sameHeads } from './heads.js'
import { DEFAULT_LADDER, prunedByLadder, type RetentionLadder } from './ladder.js'
import { SnapshotError, type RestoreResult, type SnapshotDriver, type SnapshotDriverKind, type SnapshotInfo, type SnapshotMeta } from './types.js'

/** How a compute peer snapshots its projects. */
export interface SnapshotPolicy {
  /** How often the project is checked for changes and snapshotted when it changed, ms. Default 15 minutes. */
  readonly intervalMs: number
  readonly ladder: RetentionLadder
  /** The workspace's quota, bytes (undefined: none). */
  readonly quotaBytes?: number
  /** What the snapshots may hold, bytes. Default: twice the quota when one is set, else no limit. */
  readonly budgetBytes?: number
}

export const DEFAULT_SNAPSHOT_POLICY: SnapshotPolicy = { intervalMs: 15 * 60_000, ladder: DEFAULT_LADDER }

export interface SnapshotServiceInit {
  readonly kind: SnapshotDriverKind
  readonly policy?: Partial<SnapshotPolicy>
  /** Where the running services are found by project (the snapshot protocol's handler reads it). */
  readonly registry?: Map<DocumentId, ProjectSnapshots>
}

export function snapshotService(init: SnapshotServiceInit): ProjectServiceFactory {
  return async (ctx) => {
    const service = new ProjectSnapshots(ctx, init.kind, { ...DEFAULT_SNAPSHOT_POLICY, ...init.policy })
    await service.start()
    init.registry?.set(ctx.project, service)
    const stop = service.stop.bind(service)
    service.stop = async () => {
      if (init.registry?.get(ctx.project) === service) init.registry.delete(ctx.project)
      await stop()
    }
    return service
  }
}

/** One project's snapshots while it is served. */
export class ProjectSnapshots implements ProjectService {
  readonly name = 'snapshots'
  readonly driver: SnapshotDriver
  readonly #ctx: ProjectServiceContext
  readonly #policy: SnapshotPolicy
  #timer: NodeJS.Timeout | undefined
  #ticking: Promise<unknown> = Promise.resolve()
  #problem: string | undefined
  #stopped = false

  constructor(ctx: ProjectServiceContext, kind: SnapshotDriverKind, policy: SnapshotPolicy) {
    this.#ctx = ctx
    this.#policy = policy
    this.driver = createSnapshotDriver(kind, { workdir: ctx.workdir, store: ctx.stateDir('snapshots'), log: (line) => ctx.log(`snapshots: ${line}`) })
  }

  async start(): Promise<void> {
    await this.driver.prepare()
    const { quotaBytes } = this.#policy
    if (quotaBytes !== undefined) await this.driver.setQuota(quotaBytes)
    this.driver.setBudget(this.#policy.budgetBytes ?? (quotaBytes === undefined ? undefined : 2 * quotaBytes))
    this.#timer = setInterval(() => void this.tick(), this.#policy.intervalMs)
    this.#timer.unref()
  }

  /** Snapshots now if the project changed since the latest snapshot (what the interval runs). */
  tick(): Promise<SnapshotInfo | undefined> {
    const run = this.#ticking.then(async () => {
      if (this.#stopped) return undefined
      try {
        const taken = await this.#ifChanged('interval')
        this.#problem = undefined
        return taken
      } catch (err) {
        this.#problem = `${(err as SnapshotError).code ?? 'SNAPSHOT_FAILED'}: ${(err as Error).message}`
        this.#ctx.log(`snapshots: ${this.#problem}`)
        return undefined
      }
    })
    this.#ticking = run
    return run
  }

  /** A writer's named snapshot, never pruned automatically (N4, N12). */
  named(name: string, by: string): Promise<SnapshotInfo> {
    return this.#serial(async () => this.#take({ kind: 'named', name, by, ...(await this.#state()) }))
  }

  /** Restores after an automatic snapshot of the state it replaces, when that state is not snapshotted yet (N13). */
  restore(id: string, path: string, by: string): Promise<{ before: SnapshotInfo | undefined } & RestoreResult> {
    return this.#serial(async () => {
      await this.driver.get(id)
      const before = await this.#ifChanged('before-restore', by)
      return { before, ...(await this.driver.restore(id, path)) }
    })
  }

  /** Deletes a snapshot (a writer's choice: named ones are never pruned otherwise). */
  delete(id: string): Promise<void> {
    return this.#serial(() => this.driver.delete(id))
  }

  /** Whether `peer` may list, browse and read (any member now). */
  canRead(peer: string): Promise<boolean> {
    return this.#ctx.canRead(peer)
  }

  /** Whether `peer` may take named snapshots and restore (writer, admin or owner now). */
  isWriter(peer: string): Promise<boolean> {
    return this.#ctx.isWriter(peer)
  }

  health(): ServiceHealth {
    if (this.#stopped) return { state: 'stopped' }
    return this.#problem === undefined ? { state: 'ok' } : { state: 'degraded', detail: this.#problem }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    await this.#ticking.catch(() => undefined)
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#ticking.then(op)
    this.#ticking = run.catch(() => undefined)
    return run
  }

  async #state(): Promise<{ heads: Record<string, string[]>; fingerprint: string }> {
    return { heads: await projectHeads(this.#ctx.repo, this.#ctx.project), fingerprint: await treeFingerprint(this.#ctx.workdir) }
  }

  async #ifChanged(reason: string, by?: string): Promise<SnapshotInfo | undefined> {
    const state = await this.#state()
    const latest = (await this.driver.list()).at(-1)
    if (latest !== undefined && latest.fingerprint === state.fingerprint && sameHeads(latest.heads, state.heads)) return undefined
    return this.#take({ kind: 'auto', reason, ...(by !== undefined && { by }), ...state })
  }

  /** Takes a snapshot, pruning the oldest automatic ones while the budget refuses it (N12), then the ladder (N11). */
  async #take(meta: SnapshotMeta): Promise<SnapshotInfo> {
    let taken: SnapshotInfo | undefined
    while (taken === undefined) {
      try {
        taken = await this.driver.create(meta)
      } catch (err) {
        if ((err as SnapshotError).code !== 'SNAPSHOT_QUOTA_EXCEEDED') throw err
        const oldest = (await this.driver.list()).find((s) => s.kind === 'auto')
        if (oldest === undefined) throw err
        this.#ctx.log(`snapshots: over budget, pruning the oldest automatic snapshot ${oldest.id}`)
        await this.driver.delete(oldest.id)
      }
    }
    for (const old of prunedByLadder(await this.driver.list(), this.#policy.ladder, Date.now())) await this.driver.delete(old.id)
    return taken
  }
}
