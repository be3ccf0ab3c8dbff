/**
 * A member's side of `/quire/pty/1.0.0`: list a project's terminals on a compute peer, open or attach to one
 * and view it. Output is acknowledged as it is shown (T7), so a viewer that cannot keep up is sent a fresh
 * screen instead of a growing backlog (T8); input is sent in chunks, so a large paste completes (T6).
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { FramedStream } from './framed-stream.js'
import {
  PTY_INPUT_CHUNK_BYTES, PTY_PROTOCOL, PtyProtocolError, checkPtyServerFrame,
  type PtyErrorCode, type PtyRequest, type PtyServerFrame, type PtyTerminalInfo,
} from './protocol.js'

type Dialer = Pick<Libp2p, 'dialProtocol'>
type Target = PeerId | Multiaddr | Multiaddr[]

/** Acknowledge at least every this many output bytes (and shortly after the last). */
const ACK_EVERY_BYTES = 16 * 1024
const ACK_DELAY_MS = 10
const DEFAULT_TIMEOUT_MS = 20_000
/** Frames that arrive before any listener is added are held at most this long (see `PtyViewer.#early`). */
const EARLY_FRAMES_MS = 1_000

/** The weight of a frame in the acknowledgement count: output bytes, or the length of a screen (T7). */
export function ptyFrameWeight(frame: { t: 'output'; data: Uint8Array } | { t: 'screen'; screen: string }): number {
  return frame.t === 'output' ? frame.data.byteLength : frame.screen.length
}

async function dial(libp2p: Dialer, peer: Target, signal: AbortSignal): Promise<Stream> {
  // Compute peers behind NAT are reached through a relay: the protocol runs on limited connections (T16).
  return libp2p.dialProtocol(peer, PTY_PROTOCOL, { signal, runOnLimitedConnection: true })
}

/** Lists a project's terminals on a compute peer (any member may, T3). */
export async function listTerminals(libp2p: Dialer, peer: Target, project: string, options: { signal?: AbortSignal } = {}): Promise<PtyTerminalInfo[]> {
  const stream = await dial(libp2p, peer, options.signal ?? AbortSignal.timeout(DEFAULT_TIMEOUT_MS))
  return new Promise((resolve, reject) => {
    let done = false
    const framed = new FramedStream(stream, {
      onFrame: (value) => {
        done = true
        try {
          const frame = checkPtyServerFrame(value)
          if (frame.t === 'list') resolve([...frame.terminals])
          else if (frame.t === 'error') reject(new PtyProtocolError(frame.code, frame.message))
          else reject(new PtyProtocolError('PTY_BAD_FRAME', `expected a list, got ${frame.t}`))
        } catch (err) {
          reject(err as Error)
        }
        framed.close()
      },
      onClose: (error) => { if (!done) reject(error ?? new PtyProtocolError('PTY_BAD_FRAME', 'the compute peer closed the stream without answering')) },
    })
    framed.send({ t: 'list', project } satisfies PtyRequest)
  })
}

/** A running {@link watchTerminals}. */
export interface TerminalWatch {
  /** Stops watching (closes the stream). */
  stop(): void
  /** Resolves when the stream has ended: undefined after {@link stop}, else why (the compute peer went away, a refusal). */
  readonly closed: Promise<Error | undefined>
}

/** The compute peer's frame, checked; a malformed one fails the stream (with its stable code) and is dropped. */
function serverFrame(framed: FramedStream, value: unknown): PtyServerFrame | undefined {
  try {
    return checkPtyServerFrame(value)
  } catch (err) {
    framed.fail(err as Error)
    return undefined
  }
}

/**
 * Watches a project's terminals on a compute peer (any member may, T20): `onList` gets the list at once and
 * again after every change (opened, closed, exited, who views, size). Resolves once the first list has come;
 * rejects with the refusal (PTY_NOT_A_MEMBER, PTY_NOT_SERVED) or the dial's failure.
 */
export async function watchTerminals(libp2p: Dialer, peer: Target, project: string, onList: (terminals: PtyTerminalInfo[]) => void, options: { signal?: AbortSignal } = {}): Promise<TerminalWatch> {
  const stream = await dial(libp2p, peer, options.signal ?? AbortSignal.timeout(DEFAULT_TIMEOUT_MS))
  return new Promise((resolve, reject) => {
    let started = false
    let stopped = false
    let ended: (error: Error | undefined) => void = () => {}
    const closed = new Promise<Error | undefined>((r) => { ended = r })
    const framed = new FramedStream(stream, {
      onFrame: (value) => {
        const frame = serverFrame(framed, value)
        if (frame === undefined) return
        if (frame.t === 'list') {
          onList([...frame.terminals])
          if (!started) {
            started = true
            resolve({ stop: () => { stopped = true; framed.close() }, closed })
          }
        } else if (frame.t === 'error') {
          const error = new PtyProtocolError(frame.code, frame.message)
          if (!started) reject(error)
          framed.fail(error)
        } else framed.fail(new PtyProtocolError('PTY_BAD_FRAME', `expected a list, got ${frame.t}`))
      },
      onClose: (error) => {
        if (!started) reject(error ?? new PtyProtocolError('PTY_BAD_FRAME', 'the compute peer closed the stream without answering'))
        ended(stopped ? undefined : error ?? new PtyProtocolError('PTY_NOT_SERVED', 'the compute peer ended the watch'))
      },
    })
    framed.send({ t: 'watch', project } satisfies PtyRequest)
  })
}

/** What to open: a new terminal (`name`) or an existing one (`id`), with the viewer's window size. */
export type OpenTerminalRequest =
  | { readonly project: string; readonly name: string; readonly cols: number; readonly rows: number }
  | { readonly project: string; readonly id: string; readonly cols: number; readonly rows: number }

export interface OpenTerminalOptions {
  readonly signal?: AbortSignal
  /**
   * `auto` (default): output counts as shown once it is delivered to the listeners. `manual`: call
   * {@link PtyViewer.shown} when it really is (xterm.js's write callback), so the pace follows the screen.
   */
  readonly ack?: 'auto' | 'manual'
}

export interface PtyViewerEvents {
  /** Live output: write it to the screen. */
  output: (data: Uint8Array) => void
  /** The screen was replaced: reset the terminal and write this (it is the whole state). */
  screen: (screen: string) => void
  info: (terminal: PtyTerminalInfo) => void
  error: (code: PtyErrorCode, message: string) => void
  /** The stream ended; `error` says why when it did not end normally. */
  close: (error?: Error) => void
}

/** One member's view of one terminal. */
export class PtyViewer {
  /** The terminal as last described by the compute peer. */
  terminal: PtyTerminalInfo
  /** The serialized screen at attach time: write it to a fresh terminal before any output. */
  readonly initialScreen: string
  readonly #framed: FramedStream
  readonly #manual: boolean
  readonly #listeners: { [K in keyof PtyViewerEvents]: Set<PtyViewerEvents[K]> } = {
    output: new Set(), screen: new Set(), info: new Set(), error: new Set(), close: new Set(),
  }
  #shown = 0
  #acked = 0
  #ackTimer: ReturnType<typeof setTimeout> | undefined
  #closedWith: { error?: Error } | undefined
  /**
   * Frames (and the end) that came before the opener had registered its listeners: the compute peer sends
   * the rest of a long screen right behind `ready`, often in the same read, so those frames are handed over
   * before `openTerminal`'s caller resumes (T9). Held until a listener is added, then delivered in order.
   */
  #early: Array<PtyServerFrame | { t: 'ended'; error?: Error }> | undefined = []
  #earlyTimer: ReturnType<typeof setTimeout> | undefined

  /** @internal use {@link openTerminal} */
  constructor(framed: FramedStream, ready: Extract<PtyServerFrame, { t: 'ready' }>, manual: boolean) {
    this.#framed = framed
    this.terminal = ready.terminal
    this.initialScreen = ready.screen
    this.#manual = manual
    // A viewer nobody listens to still acknowledges (auto mode) and ends: delivery starts after a while anyway.
    this.#earlyTimer = setTimeout(() => this.#deliverEarly(), EARLY_FRAMES_MS)
  }

  get closed(): boolean {
    return this.#closedWith !== undefined
  }

  on<K extends keyof PtyViewerEvents>(event: K, listener: PtyViewerEvents[K]): () => void {
    this.#listeners[event].add(listener)
    // The caller adds its other listeners in the same turn: deliver what came early once it has.
    if (this.#early !== undefined) queueMicrotask(() => this.#deliverEarly())
    return () => this.#listeners[event].delete(listener)
  }

  /** Sends keystrokes or a paste, in chunks (T6). Readers' input is refused by the compute peer (T4). */
  write(data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
    for (let at = 0; at < bytes.byteLength; at += PTY_INPUT_CHUNK_BYTES) {
      this.#framed.send({ t: 'input', data: bytes.subarray(at, at + PTY_INPUT_CHUNK_BYTES) })
    }
  }

  /** Tells the compute peer this viewer's window size; `take` makes this writer's size the terminal's (T11). */
  resize(cols: number, rows: number, take = false): void {
    this.#framed.send({ t: 'resize', cols, rows, ...(take && { take: true }) })
  }

  /** With `ack: 'manual'`: `weight` more output is on the screen (see {@link ptyFrameWeight}). */
  shown(weight: number): void {
    this.#shown += weight
    if (this.#shown - this.#acked >= ACK_EVERY_BYTES) this.#ack()
    else this.#ackTimer ??= setTimeout(() => this.#ack(), ACK_DELAY_MS)
  }

  /** Ends the terminal for everyone (writers only). */
  closeTerminal(): void {
    this.#framed.send({ t: 'close' })
  }

  /** Stops viewing; the terminal keeps running (T9). */
  detach(): void {
    this.#framed.close()
  }

  /** Resolves when the stream has ended. */
  closedPromise(): Promise<Error | undefined> {
    if (this.#closedWith !== undefined) return Promise.resolve(this.#closedWith.error)
    return new Promise((resolve) => this.on('close', resolve))
  }

  /** @internal */
  receive(frame: PtyServerFrame): void {
    if (this.#early !== undefined) {
      this.#early.push(frame)
      return
    }
    switch (frame.t) {
      case 'output':
        for (const l of this.#listeners.output) l(frame.data)
        if (!this.#manual) this.shown(ptyFrameWeight(frame))
        return
      case 'screen':
        for (const l of this.#listeners.screen) l(frame.screen)
        if (!this.#manual) this.shown(ptyFrameWeight(frame))
        return
      case 'info':
        this.terminal = frame.terminal
        for (const l of this.#listeners.info) l(frame.terminal)
        return
      case 'error':
        for (const l of this.#listeners.error) l(frame.code, frame.message)
        return
      default:
        return
    }
  }

  /** @internal */
  ended(error?: Error): void {
    if (this.#early !== undefined) {
      this.#early.push({ t: 'ended', ...(error !== undefined && { error }) })
      return
    }
    if (this.#closedWith !== undefined) return
    clearTimeout(this.#ackTimer)
    this.#closedWith = error === undefined ? {} : { error }
    for (const l of this.#listeners.close) l(error)
  }

  #deliverEarly(): void {
    const early = this.#early
    if (early === undefined) return
    this.#early = undefined
    clearTimeout(this.#earlyTimer)
    for (const frame of early) {
      if (frame.t === 'ended') this.ended(frame.error)
      else this.receive(frame)
    }
  }

  #ack(): void {
    clearTimeout(this.#ackTimer)
    this.#ackTimer = undefined
    if (this.#shown === this.#acked) return
    this.#acked = this.#shown
    this.#framed.send({ t: 'ack', bytes: this.#acked })
  }
}

/** Opens a new terminal or attaches to one; resolves with the viewer once the compute peer says it is ready. */
export async function openTerminal(libp2p: Dialer, peer: Target, request: OpenTerminalRequest, options: OpenTerminalOptions = {}): Promise<PtyViewer> {
  const signal = options.signal ?? AbortSignal.timeout(DEFAULT_TIMEOUT_MS)
  const stream = await dial(libp2p, peer, signal)
  return new Promise((resolve, reject) => {
    let viewer: PtyViewer | undefined
    const framed = new FramedStream(stream, {
      onFrame: (value) => {
        const frame = serverFrame(framed, value)
        if (frame === undefined) return
        if (viewer !== undefined) return viewer.receive(frame)
        if (frame.t === 'ready') {
          viewer = new PtyViewer(framed, frame, options.ack === 'manual')
          resolve(viewer)
        } else if (frame.t === 'error') {
          reject(new PtyProtocolError(frame.code, frame.message))
          framed.close()
        } else {
          framed.fail(new PtyProtocolError('PTY_BAD_FRAME', `expected ready, got ${frame.t}`))
        }
      },
      onClose: (error) => {
        if (viewer !== undefined) viewer.ended(error)
        else reject(error ?? new PtyProtocolError('PTY_BAD_FRAME', 'the compute peer closed the stream without answering'))
      },
    })
    const first: PtyRequest = 'id' in request
      ? { t: 'attach', project: request.project, id: request.id, cols: request.cols, rows: request.rows }
      : { t: 'open', project: request.project, name: request.name, cols: request.cols, rows: request.rows }
    framed.send(first)
  })
}
