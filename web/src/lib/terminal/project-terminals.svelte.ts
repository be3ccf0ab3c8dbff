/**
 * The terminals of one project on its compute peer (compute-peer/SPEC.md T1): listed every few seconds while
 * the project page is open, with a clear state when no compute peer is set or it cannot be reached.
 */
import { listTerminals, openTerminal, type PtyTerminalInfo, type PtyViewer } from '@quire/node'
import { withDialTimeout } from '../peer/dial-timeout.js'
import { describeError } from '../peer/errors.js'
import type { Session } from '../peer/session.svelte.js'
import { computeTarget } from './compute-target.js'

const REFRESH_MS = 4_000

export type TerminalsState =
  | { readonly state: 'no-compute-peer' }
  | { readonly state: 'loading' }
  | { readonly state: 'ok' }
  | { readonly state: 'unreachable'; readonly message: string }

export class ProjectTerminals {
  terminals = $state.raw<readonly PtyTerminalInfo[]>([])
  status = $state.raw<TerminalsState>({ state: 'loading' })
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

  async refresh(): Promise<void> {
    const peer = this.#computePeer()
    if (peer === null) {
      this.status = { state: 'no-compute-peer' }
      this.terminals = []
      return
    }
    if (this.#busy) return
    this.#busy = true
    try {
      this.terminals = await withDialTimeout(15_000, (signal) => listTerminals(this.#session.node, computeTarget(this.#session, peer), this.#project, { signal }))
      this.status = { state: 'ok' }
    } catch (err) {
      this.status = { state: 'unreachable', message: describeError(err) }
    } finally {
      this.#busy = false
    }
  }

  /** Opens a new terminal (writers) or attaches to one, with the viewer's window size. */
  async open(what: { name: string } | { id: string }, cols: number, rows: number): Promise<PtyViewer> {
    const peer = this.#computePeer()
    if (peer === null) throw new Error('No compute peer is set for this project; an admin can pick one in the settings.')
    const viewer = await withDialTimeout(15_000, (signal) => openTerminal(this.#session.node, computeTarget(this.#session, peer), { project: this.#project, ...what, cols, rows }, { signal, ack: 'manual' }))
    void this.refresh()
    return viewer
  }
}
