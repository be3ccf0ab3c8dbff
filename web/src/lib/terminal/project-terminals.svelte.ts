/**
 * The terminals of one project on its compute peer (compute-peer/SPEC.md T1, T20): watched while the project
 * page is open (the compute peer pushes the list on every change), with a clear state when no compute peer is
 * set or it cannot be reached; a lost watch is opened again every few seconds.
 */
import { openTerminal, watchTerminals, type PtyTerminalInfo, type PtyViewer, type TerminalWatch } from '@quire/node'
import { withDialTimeout } from '../peer/dial-timeout.js'
import { describeError } from '../peer/errors.js'
import type { Session } from '../peer/session.svelte.js'
import { computeTarget } from './compute-target.js'

/** How often a lost watch is retried, and the project's compute peer setting looked at again. */
const RETRY_MS = 4_000

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
  /** The watch, and the compute peer it is on. */
  #watch: { peer: string; watch: TerminalWatch } | undefined
  #token: object | undefined
  /** The compute peer a watch is being opened on. */
  #dialing: string | undefined
  #stopped = false

  constructor(session: Session, project: string, computePeer: () => string | null) {
    this.#session = session
    this.#project = project
    this.#computePeer = computePeer
  }

  start(): void {
    this.#stopped = false
    this.#timer = setInterval(() => void this.refresh(), RETRY_MS)
    void this.refresh()
  }

  stop(): void {
    this.#stopped = true
    clearInterval(this.#timer)
    this.#watch?.watch.stop()
    this.#watch = undefined
    this.#token = undefined
  }

  /** Starts watching the project's compute peer unless a watch on it is running or being opened. */
  async refresh(): Promise<void> {
    const peer = this.#computePeer()
    if (this.#watch !== undefined && this.#watch.peer === peer) return
    if (this.#watch !== undefined) {
      // The setting changed (or was cleared): the old watch is for another peer.
      this.#watch.watch.stop()
      this.#watch = undefined
    }
    if (peer === null) {
      this.#token = undefined
      this.status = { state: 'no-compute-peer' }
      this.terminals = []
      return
    }
    if (this.#dialing !== undefined) {
      // A watch being opened on another peer is dropped when it comes; the next refresh opens this one.
      if (this.#dialing !== peer) this.#token = undefined
      return
    }
    // Lists from a watch that has been replaced meanwhile are not shown.
    const token = {}
    this.#token = token
    this.#dialing = peer
    try {
      const watch = await withDialTimeout(15_000, (signal) => watchTerminals(this.#session.node, computeTarget(this.#session, peer), this.#project, (list) => {
        if (this.#token === token) this.terminals = list
      }, { signal }))
      if (this.#stopped || this.#token !== token) {
        watch.stop()
        return
      }
      this.#watch = { peer, watch }
      this.status = { state: 'ok' }
      void watch.closed.then((error) => {
        if (this.#watch?.watch !== watch) return
        this.#watch = undefined
        this.#token = undefined
        // Retried by the timer; until then the list says why it may be stale.
        this.status = { state: 'unreachable', message: describeError(error ?? new Error('the compute peer ended the watch')) }
      })
    } catch (err) {
      if (this.#token === token) this.status = { state: 'unreachable', message: describeError(err) }
    } finally {
      this.#dialing = undefined
    }
  }

  /** Opens a new terminal (writers) or attaches to one, with the viewer's window size. */
  async open(what: { name: string } | { id: string }, cols: number, rows: number): Promise<PtyViewer> {
    const peer = this.#computePeer()
    if (peer === null) throw new Error('No compute peer is set for this project; an admin can pick one in the settings.')
    return withDialTimeout(15_000, (signal) => openTerminal(this.#session.node, computeTarget(this.#session, peer), { project: this.#project, ...what, cols, rows }, { signal, ack: 'manual' }))
  }
}
