/**
 * One project's snapshots on its compute peer (compute-peer/SPEC.md N14-N18, client node/PROTOCOL.md SN):
 * the timeline and the space used, refreshed while the panel is open, with a clear state when no compute peer
 * is set or it cannot be reached; browse, read, take, restore for the panel.
 */
import { SnapshotClient, type SnapshotFolder, type SnapshotInfo, type SnapshotRestoreAnswer, type SnapshotUsage } from '@quire/node'
import { describeError } from '../peer/errors.js'
import type { Session } from '../peer/session.svelte.js'
import { computeTarget } from '../terminal/compute-target.js'

const REFRESH_MS = 10_000
const TIMEOUT_MS = 20_000
/** Restores and snapshots of a large project take a while on the compute peer. */
const SLOW_TIMEOUT_MS = 120_000
/** What the panel shows of a file; larger ones are offered as "too large to show". */
export const SHOW_MAX_BYTES = 1024 * 1024

export type SnapshotsState =
  | { readonly state: 'no-compute-peer' }
  | { readonly state: 'loading' }
  | { readonly state: 'ok' }
  | { readonly state: 'unreachable'; readonly message: string }

export class ProjectSnapshots {
  /** Oldest first, as the compute peer lists them. */
  snapshots = $state.raw<readonly SnapshotInfo[]>([])
  usage = $state.raw<SnapshotUsage | undefined>(undefined)
  status = $state.raw<SnapshotsState>({ state: 'loading' })
  readonly #session: Session
  readonly #project: string
  readonly #computePeer: () => string | null
  #timer: ReturnType<typeof setInterval> | undefined
  #busy = false

  constructor(session: Session, project: string, computePeer: () => string | null) {
    this.#session = session
    this.#project = project
    this.#computePeer = computePeer
  }

  start(): void {
    this.#timer = setInterval(() => void this.refresh(), REFRESH_MS)
    void this.refresh()
  }

  stop(): void {
    clearInterval(this.#timer)
  }

  #client(timeoutMs = TIMEOUT_MS): SnapshotClient {
    const peer = this.#computePeer()
    if (peer === null) throw new Error('No compute peer runs this project, so it has no snapshots; an admin can pick one in the settings.')
    return new SnapshotClient(this.#session.node, () => computeTarget(this.#session, peer), this.#project, { timeoutMs })
  }

  async refresh(): Promise<void> {
    if (this.#computePeer() === null) {
      this.status = { state: 'no-compute-peer' }
      this.snapshots = []
      this.usage = undefined
      return
    }
    if (this.#busy) return
    this.#busy = true
    try {
      const client = this.#client()
      const [snapshots, usage] = await Promise.all([client.list(), client.usage()])
      this.snapshots = snapshots
      this.usage = usage
      this.status = { state: 'ok' }
    } catch (err) {
      // Nothing stale is shown as if it were current: the list is cleared with the reason.
      this.snapshots = []
      this.usage = undefined
      this.status = { state: 'unreachable', message: describeError(err) }
    } finally {
      this.#busy = false
    }
  }

  async browse(id: string, path: string): Promise<SnapshotFolder> {
    return this.#client().browse(id, path)
  }

  async read(id: string, path: string): Promise<Uint8Array> {
    return this.#client().read(id, path, SHOW_MAX_BYTES)
  }

  async take(name: string): Promise<SnapshotInfo> {
    const taken = await this.#client(SLOW_TIMEOUT_MS).take(name)
    this.#add(taken)
    void this.refresh()
    return taken
  }

  /** Restores a file, a folder or (`''`) the whole project; the compute peer snapshots the state it replaces first. */
  async restore(id: string, path: string): Promise<SnapshotRestoreAnswer> {
    const result = await this.#client(SLOW_TIMEOUT_MS).restore(id, path)
    if (result.before !== undefined) this.#add(result.before)
    void this.refresh()
    return result
  }

  /** Shows a snapshot we just made at once (a refresh already under way would miss it). */
  #add(snapshot: SnapshotInfo): void {
    this.snapshots = [...this.snapshots.filter((s) => s.id !== snapshot.id), snapshot].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
  }
}
