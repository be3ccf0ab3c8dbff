/**
 * The daemon's `/quire/pty/1.0.0` handler (T3..T8, T14..T16, T20): one per compute peer, on limited (relayed)
 * connections too. The first frame names the project; the project's terminals come from the registry. Every
 * later frame is checked against the grants as they are when it arrives: members watch, writers type.
 */
import { interpretAsDocumentId, type AnyDocumentId } from '@automerge/automerge-repo'
import type { Libp2p, Stream, Connection } from '@libp2p/interface'
import {
  FramedStream, PTY_PROTOCOL, PtyProtocolError, checkPtyClientFrame, checkPtyRequest,
  type PtyErrorCode, type PtyRequest, type PtyServerFrame,
} from '@quire/node'
import type { TerminalSession } from './session.js'
import type { ProjectTerminals, TerminalRegistry } from './terminal-service.js'
import { Viewer } from './viewer.js'

/**
 * What a viewer's stream may queue when the transport asks us to wait: a screen with 10,000 lines of
 * scrollback is sent at once on attach (megabytes when the lines are long and coloured); live output is
 * bounded by the acknowledgements (T7) far below this.
 */
/** How long a non-writer's input waits for a writer grant on its way before it is refused (T4). */
const WRITER_GRACE_MS = 10_000
const MAX_QUEUED_BYTES = 32 * 1024 * 1024
/** A stream that sends nothing for this long after opening is closed. */
const FIRST_FRAME_MS = 10_000
/** How often viewers' grants are checked while they only watch (a revoked member stops seeing output, T5). */
const GRANT_CHECK_MS = 2_000
/** Frames waiting for their grant check above which we stop reading the stream. */
const MAX_PENDING_FRAMES = 32
/** Changes within this long of each other reach a watcher as one list (T20). */
const WATCH_COALESCE_MS = 100
const MAX_STREAMS = 256

export interface PtyServerInit {
  readonly libp2p: Pick<Libp2p, 'handle' | 'unhandle'>
  readonly registry: TerminalRegistry
  readonly log: (line: string) => void
}

const errorFrame = (code: PtyErrorCode, message: string, fatal: boolean): PtyServerFrame => ({ t: 'error', code, message, fatal })

/** Serves terminals until stopped. */
export async function servePty(init: PtyServerInit): Promise<{ stop(): Promise<void> }> {
  const live = new Set<PtyStream>()
  const timer = setInterval(() => { for (const c of live) c.recheck() }, GRANT_CHECK_MS)
  timer.unref?.()
  await init.libp2p.handle(PTY_PROTOCOL, (stream: Stream, connection: Connection) => {
    const c = new PtyStream(stream, connection.remotePeer.toString(), init, () => live.delete(c))
    live.add(c)
  }, { runOnLimitedConnection: true, maxInboundStreams: MAX_STREAMS })
  return {
    async stop() {
      clearInterval(timer)
      await init.libp2p.unhandle(PTY_PROTOCOL)
      for (const c of live) c.end()
    },
  }
}

/** One stream: a request, and for open/attach the viewer's session. */
class PtyStream {
  readonly #peer: string
  readonly #init: PtyServerInit
  readonly #framed: FramedStream
  readonly #onEnd: () => void
  #project: ProjectTerminals | undefined
  #session: TerminalSession | undefined
  #viewer: Viewer | undefined
  #chain: Promise<void> = Promise.resolve()
  #pending = 0
  #firstTimer: ReturnType<typeof setTimeout>
  #ended = false
  /** A `watch` stream: its project's changes and the timer that coalesces them (T20). */
  #unwatch: (() => void) | undefined
  #watchTimer: ReturnType<typeof setTimeout> | undefined

  constructor(stream: Stream, peer: string, init: PtyServerInit, onEnd: () => void) {
    this.#peer = peer
    this.#init = init
    this.#onEnd = onEnd
    this.#framed = new FramedStream(stream, {
      onFrame: (value) => this.#enqueue(value),
      onClose: () => this.#cleanup(),
      rejection: (error) => errorFrame(error.code, error.message, true),
      maxQueuedBytes: MAX_QUEUED_BYTES,
    })
    this.#firstTimer = setTimeout(() => this.#fatal('PTY_BAD_FRAME', `no request within ${FIRST_FRAME_MS / 1000} s`), FIRST_FRAME_MS)
  }

  /** Drops the viewer if its grants no longer let it see the project (T5). */
  recheck(): void {
    if (this.#project === undefined || (this.#viewer === undefined && this.#unwatch === undefined)) return
    this.#enqueue(undefined)
  }

  end(): void {
    this.#framed.close()
  }

  #enqueue(value: unknown): void {
    this.#pending++
    if (this.#pending > MAX_PENDING_FRAMES && this.#framed.stream.readStatus === 'readable') this.#framed.stream.pause()
    this.#chain = this.#chain.then(() => this.#handle(value)).catch((err: unknown) => {
      const e = err instanceof PtyProtocolError ? err : new PtyProtocolError('PTY_BAD_FRAME', (err as Error).message)
      this.#fatal(e.code, e.message)
    }).finally(() => {
      this.#pending--
      if (this.#pending < MAX_PENDING_FRAMES / 4 && this.#framed.stream.readStatus === 'paused') this.#framed.stream.resume()
    })
  }

  async #handle(value: unknown): Promise<void> {
    if (this.#ended) return
    if (this.#project === undefined) return this.#request(checkPtyRequest(value))
    const { ctx } = this.#project
    if (!(await ctx.canRead(this.#peer))) {
      return this.#fatal('PTY_NOT_A_MEMBER', 'your grants in this project no longer let you see its terminals')
    }
    const viewer = this.#viewer
    const session = this.#session
    if (viewer === undefined || session === undefined) return
    const was = viewer.writer
    viewer.writer = await ctx.isWriter(this.#peer)
    if (viewer.writer !== was) session.rolesChanged()
    if (value === undefined) return // a periodic grant check
    let frame
    try {
      frame = checkPtyClientFrame(value)
    } catch (err) {
      if (err instanceof PtyProtocolError && err.code === 'PTY_BAD_SIZE') return viewer.send(errorFrame(err.code, err.message, false))
      throw err
    }
    switch (frame.t) {
      case 'ack':
        return session.ack(viewer, frame.bytes)
      case 'resize':
        return session.viewerResized(viewer, frame.cols, frame.rows, frame.take === true)
      case 'input':
      case 'close':
        // A member who just joined types before their grant reaches this peer (grants sync like any
        // document): wait a little for it, holding this stream's later frames in order, before refusing.
        // Once per stream: a reader's keys are refused at once after that (its acks must not wait behind them).
        if (!viewer.writer && !this.#graceTried) {
          this.#graceTried = true
          viewer.writer = await this.#becomesWriter(ctx)
          if (viewer.writer) session.rolesChanged()
        }
        if (!viewer.writer) return viewer.send(errorFrame('PTY_READ_ONLY', 'readers watch this terminal; only writers of the project can type in it or close it', false))
        if (frame.t === 'close') return void session.close(`closed by ${this.#peer}`)
        if (session.exited) return viewer.send(errorFrame('PTY_EXITED', 'the terminal has exited; open a new one', false))
        return session.input(viewer, frame.data)
    }
  }

  /** Whether the peer is a writer within {@link WRITER_GRACE_MS} (T4), checking every 200 ms. */
  #graceTried = false

  async #becomesWriter(ctx: { isWriter(peer: string): Promise<boolean> }): Promise<boolean> {
    const deadline = Date.now() + WRITER_GRACE_MS
    while (!this.#ended && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      if (await ctx.isWriter(this.#peer)) return true
    }
    return false
  }

  async #request(request: PtyRequest): Promise<void> {
    clearTimeout(this.#firstTimer)
    let id
    try {
      id = interpretAsDocumentId(request.project as AnyDocumentId)
    } catch {
      throw new PtyProtocolError('PTY_BAD_FRAME', `${JSON.stringify(request.project)} is not a project id`)
    }
    const project = this.#init.registry.get(id)
    if (project === undefined) throw new PtyProtocolError('PTY_NOT_SERVED', `this compute peer does not serve project ${id} now`)
    if (!(await project.ctx.canRead(this.#peer))) throw new PtyProtocolError('PTY_NOT_A_MEMBER', `peer ${this.#peer} is not a member of project ${id}`)
    if (request.t === 'list') {
      this.#framed.send({ t: 'list', terminals: [...project.sessions.values()].map((s) => s.info()) } satisfies PtyServerFrame)
      this.#framed.close()
      this.#ended = true
      return
    }
    if (request.t === 'watch') return this.#watch(project)
    const writer = await project.ctx.isWriter(this.#peer)
    let session: TerminalSession | undefined
    if (request.t === 'open') {
      if (!writer) throw new PtyProtocolError('PTY_READ_ONLY', 'only writers of the project can open a terminal')
      session = await project.open(request.name, this.#peer, request.cols, request.rows)
    } else {
      session = project.sessions.get(request.id)
      if (session === undefined) throw new PtyProtocolError('PTY_NO_SUCH_TERMINAL', `project ${id} has no terminal ${JSON.stringify(request.id)} (it may have been closed); list them or open a new one`)
    }
    if (this.#ended) return
    const viewer = new Viewer(this.#peer, this.#framed, writer, request.cols, request.rows)
    // Opening a terminal counts as typing in it: its size starts as its opener's window (T10).
    if (request.t === 'open') viewer.activeAt = Date.now()
    this.#project = project
    this.#session = session
    this.#viewer = viewer
    // Frames after the request wait for `ready`: an answer to them must not come before it.
    await session.attach(viewer)
  }

  /** The list now and after every change, coalesced; ends when the project stops being served (T20). */
  #watch(project: ProjectTerminals): void {
    this.#project = project
    const send = (): void => {
      this.#watchTimer = undefined
      if (this.#ended) return
      if (project.stopped) return this.#fatal('PTY_NOT_SERVED', 'this compute peer stopped serving the project')
      this.#framed.send({ t: 'list', terminals: [...project.sessions.values()].map((s) => s.info()) } satisfies PtyServerFrame)
    }
    this.#unwatch = project.onChange(() => { this.#watchTimer ??= setTimeout(send, WATCH_COALESCE_MS) })
    send()
  }

  #fatal(code: PtyErrorCode, message: string): void {
    if (this.#ended) return
    // Refusals of strangers and bad frames are the other end's business; a failed start is the operator's.
    if (code === 'PTY_START_FAILED') this.#init.log(`a terminal of ${this.#peer} could not start: ${message}`)
    this.#framed.send(errorFrame(code, message, true))
    this.#framed.close()
    this.#cleanup()
  }

  #cleanup(): void {
    this.#unwatch?.()
    this.#unwatch = undefined
    clearTimeout(this.#watchTimer)
    if (this.#ended && this.#viewer === undefined) return this.#onEnd()
    this.#ended = true
    clearTimeout(this.#firstTimer)
    if (this.#viewer !== undefined) this.#session?.detach(this.#viewer)
    this.#viewer = undefined
    this.#onEnd()
  }
}
