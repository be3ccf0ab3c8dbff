/**
 * One terminal of a project: its pty host in the sandbox, the headless copy of its screen, and the members
 * viewing it. Output goes to every viewer at its own pace (T7, T8); the pty is paused while every viewer
 * is behind or the screen copy lags; the size follows the active writers (T10, T11).
 */
import type { PtyTerminalInfo, PtyViewerInfo } from '@quire/node'
import { PtyProcess, type PtyProcessInit } from './pty-process.js'
import { Screen } from './screen.js'
import type { Viewer } from './viewer.js'

/** A writer counts as active (their window bounds the size) this long after typing. */
export const ACTIVE_WRITER_MS = 5 * 60 * 1000
/** Unparsed bytes in the screen copy above which the pty is paused, and below which it runs again. */
const SCREEN_HIGH_BYTES = 1024 * 1024
const SCREEN_LOW_BYTES = 256 * 1024

export interface SessionInit extends Omit<PtyProcessInit, 'onData' | 'onExit'> {
  readonly name: string
  readonly createdBy: string
  /** A session nobody views is closed after this long (T13). */
  readonly idleMs: number
  /** Told when the session is over (closed, idle, or stopped) so the service forgets it. */
  readonly onGone: () => void
  /** Told whenever its description (`info()`) may have changed: size, viewers, roles, exit (T20). */
  readonly onChange?: () => void
}

export class TerminalSession {
  readonly id: string
  readonly name: string
  readonly createdBy: string
  readonly createdAt = Date.now()
  readonly #init: SessionInit
  readonly #viewers = new Set<Viewer>()
  readonly #screen: Screen
  #pty: PtyProcess | undefined
  #cols: number
  #rows: number
  #sizedBy: string | null = null
  #exit: string | undefined
  #paused = false
  #idle: ReturnType<typeof setTimeout> | undefined
  #gone = false

  private constructor(init: SessionInit) {
    this.#init = init
    this.id = init.id
    this.name = init.name
    this.createdBy = init.createdBy
    this.#cols = init.cols
    this.#rows = init.rows
    this.#screen = new Screen(init.cols, init.rows)
  }

  static async start(init: SessionInit): Promise<TerminalSession> {
    const session = new TerminalSession(init)
    session.#pty = await PtyProcess.start({
      ...init,
      onData: (data) => session.#onData(data),
      onExit: (reason) => session.#onExit(reason),
    })
    session.#armIdle()
    return session
  }

  get exited(): boolean {
    return this.#exit !== undefined
  }

  get viewers(): ReadonlySet<Viewer> {
    return this.#viewers
  }

  /** Whether the pty is paused for flow control (tests read it). */
  get paused(): boolean {
    return this.#paused
  }

  info(): PtyTerminalInfo {
    const now = Date.now()
    const viewers: PtyViewerInfo[] = [...this.#viewers].map((v) => ({ peer: v.peer, writer: v.writer, active: isActive(v, now) }))
    return {
      id: this.id, name: this.name, state: this.#exit === undefined ? 'running' : 'exited',
      cols: this.#cols, rows: this.#rows, sizedBy: this.#sizedBy, viewers,
      ...(this.#exit !== undefined && { exit: this.#exit }),
      createdBy: this.createdBy, createdAt: this.createdAt,
    }
  }

  /** Adds a viewer: it gets the screen so far, then live output (T9). Resolves once `ready` is sent. */
  attach(viewer: Viewer): Promise<void> {
    if (this.#gone) {
      // Closed between the lookup and now: the viewer is told, as if it had been attached when it closed.
      viewer.send({ t: 'error', code: 'PTY_NO_SUCH_TERMINAL', message: `terminal ${this.id} was just closed`, fatal: true })
      viewer.framed.close()
      return Promise.resolve()
    }
    clearTimeout(this.#idle)
    this.#viewers.add(viewer)
    viewer.beginSync()
    this.#resize()
    return new Promise((resolve) => this.#screen.snapshot((screen) => {
      viewer.finishSync(screen, this.info())
      this.#broadcastInfo(viewer)
      this.#flow()
      resolve()
    }))
  }

  detach(viewer: Viewer): void {
    if (!this.#viewers.delete(viewer)) return
    this.#resize()
    this.#broadcastInfo()
    this.#flow()
    this.#armIdle()
  }

  input(viewer: Viewer, data: Uint8Array): void {
    const was = isActive(viewer, Date.now())
    viewer.activeAt = Date.now()
    if (!was) this.#resize()
    this.#pty?.send({ t: 'input', d: data })
  }

  /** A viewer's window changed; `take`: this writer's size becomes the terminal's (T11). */
  viewerResized(viewer: Viewer, cols: number, rows: number, take: boolean): void {
    viewer.cols = cols
    viewer.rows = rows
    if (take && viewer.writer) {
      for (const other of this.#viewers) other.activeAt = 0
      viewer.activeAt = Date.now()
    }
    this.#resize()
  }

  ack(viewer: Viewer, bytes: number): void {
    if (viewer.ack(bytes)) {
      viewer.beginSync()
      this.#screen.snapshot((screen) => {
        viewer.finishSync(screen)
        this.#flow()
      })
    }
    this.#flow()
  }

  /** Kills the terminal's processes and ends every viewer's stream (T12). */
  async close(reason: string): Promise<void> {
    if (this.#gone) return
    this.#gone = true
    clearTimeout(this.#idle)
    this.#exit ??= reason
    await this.#pty?.kill()
    this.#broadcastInfo()
    for (const viewer of this.#viewers) viewer.framed.close()
    this.#viewers.clear()
    this.#screen.dispose()
    this.#init.onGone()
  }

  #onData(data: Uint8Array): void {
    this.#screen.write(data, () => this.#flow())
    for (const viewer of this.#viewers) viewer.deliver(data)
    this.#flow()
  }

  #onExit(reason: string): void {
    this.#exit ??= reason
    this.#init.log(`terminal ${this.id} (${this.name}) ${reason}`)
    this.#broadcastInfo()
  }

  /** Pauses the pty while the screen copy lags or every viewer is behind; runs it otherwise. */
  #flow(): void {
    if (this.#pty === undefined || this.#exit !== undefined) return
    const unparsed = this.#screen.unparsedBytes
    const screenLags = this.#paused ? unparsed > SCREEN_LOW_BYTES : unparsed > SCREEN_HIGH_BYTES
    const viewersBehind = this.#viewers.size > 0 && [...this.#viewers].every((v) => v.state === 'behind')
    const pause = screenLags || viewersBehind
    if (pause === this.#paused) return
    this.#paused = pause
    this.#pty.send({ t: pause ? 'pause' : 'resume' })
  }

  /** The size is the smallest over active writers (T10); readers never count; with none active it stays. */
  #resize(): void {
    const now = Date.now()
    const active = [...this.#viewers].filter((v) => isActive(v, now))
    if (active.length === 0) {
      if (this.#sizedBy !== null) {
        this.#sizedBy = null
        this.#broadcastInfo()
      }
      return
    }
    const cols = Math.min(...active.map((v) => v.cols))
    const rows = Math.min(...active.map((v) => v.rows))
    // Who to name as constraining it: the narrowest window (then the shortest).
    const by = active.reduce((a, b) => (b.cols < a.cols || (b.cols === a.cols && b.rows < a.rows) ? b : a)).peer
    if (cols === this.#cols && rows === this.#rows && by === this.#sizedBy) return
    const changed = cols !== this.#cols || rows !== this.#rows
    this.#cols = cols
    this.#rows = rows
    this.#sizedBy = by
    if (changed && this.#exit === undefined) {
      this.#screen.resize(cols, rows)
      this.#pty?.send({ t: 'resize', cols, rows })
    }
    this.#broadcastInfo()
  }

  /** A viewer's role changed (a grant arrived or went): every viewer is told who may type now. */
  rolesChanged(): void {
    this.#broadcastInfo()
  }

  #broadcastInfo(except?: Viewer): void {
    const terminal = this.info()
    for (const viewer of this.#viewers) if (viewer !== except && viewer.state !== 'syncing') viewer.send({ t: 'info', terminal })
    this.#init.onChange?.()
  }

  #armIdle(): void {
    clearTimeout(this.#idle)
    if (this.#viewers.size > 0 || this.#gone) return
    this.#idle = setTimeout(() => void this.close(`closed after ${Math.round(this.#init.idleMs / 1000)} s without viewers`), this.#init.idleMs)
    this.#idle.unref?.()
  }
}

function isActive(viewer: Viewer, now: number): boolean {
  return viewer.writer && viewer.activeAt > 0 && now - viewer.activeAt < ACTIVE_WRITER_MS
}
