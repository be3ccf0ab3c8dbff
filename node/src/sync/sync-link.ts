import type { Connection, Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { encode } from 'cbor-x'
import type { Message } from '@automerge/automerge-repo'
import { SyncError } from './errors.js'
import { encodeFrame, FrameDecoder } from './frame-codec.js'
import { checkHello, checkMessage, decodeFrameBody, type HelloFrame } from './message-guard.js'
import type { SyncStats } from './sync-stats.js'

/**
 * Runs `fn` on a later turn of the event loop, after pending I/O: `setImmediate` in Node, a zero timeout in
 * browsers, which have no `setImmediate` (calling it there threw and left a backlog unhandled for good).
 */
function nextTurn(fn: () => void): void {
  if (typeof globalThis.setImmediate === 'function') globalThis.setImmediate(fn)
  else setTimeout(fn, 0)
}

/** Longest a link handles received frames before letting the event loop serve others (ms). */
const HANDLE_BUDGET_MS = 5

/** What a link reports to its adapter. */
export interface SyncLinkHandlers {
  onHello(link: SyncLink, hello: HelloFrame): void
  onMessage(link: SyncLink, message: Message): void
  /** The stream is gone; `error` is set when we reset it because of the peer's input. */
  onClose(link: SyncLink, error?: SyncError): void
  /** A message of `bytes` was not sent because it exceeds the maximum frame size. */
  onOversized(link: SyncLink, bytes: number): void
}

export interface SyncLinkOptions {
  self: string
  remote: string
  /** Which side opened the stream. */
  openedBy: string
  maxFrameBytes: number
  maxSendQueueBytes: number
  stats: SyncStats
  handlers: SyncLinkHandlers
}

/**
 * One `/quire/sync/1.0.0` stream to one peer: splits and checks incoming frames, and queues outgoing ones
 * while the stream asks us to wait for `drain`.
 */
export class SyncLink {
  readonly remote: string
  readonly openedBy: string
  readonly stream: Stream
  /** The connection the stream runs over. */
  readonly connection: Connection
  readonly createdAt = Date.now()
  #opts: SyncLinkOptions
  #decoder: FrameDecoder
  #hello: HelloFrame | undefined
  #helloSent = false
  #queue: Uint8ArrayList[] = []
  #queuedBytes = 0
  #waitingForDrain = false
  #closed = false
  /** Frame bodies received and not yet handled, oldest first. */
  #backlog: Uint8Array[] = []
  /** The adapter asked us not to read (before the repo connects, or to slow a peer down). */
  #held = false
  #handling = false
  #resumeScheduled = false
  #remoteEnded = false

  constructor(stream: Stream, connection: Connection, opts: SyncLinkOptions) {
    this.stream = stream
    this.connection = connection
    this.remote = opts.remote
    this.openedBy = opts.openedBy
    this.#opts = opts
    this.#decoder = new FrameDecoder(opts.maxFrameBytes)
    stream.addEventListener('message', (evt) => this.#onData(evt.data))
    stream.addEventListener('remoteCloseWrite', () => this.#onRemoteEnd())
    stream.addEventListener('close', () => this.#finish())
    stream.addEventListener('drain', () => this.#flush())
  }

  get hello(): HelloFrame | undefined {
    return this.#hello
  }

  /** Both hellos exchanged: repo messages may flow. */
  get established(): boolean {
    return this.#hello !== undefined && this.#helloSent && !this.#closed
  }

  get closed(): boolean {
    return this.#closed
  }

  sendHello(hello: HelloFrame): void {
    if (this.#helloSent) return
    this.#helloSent = true
    this.#sendBody(encode(hello))
  }

  sendMessage(message: Message): void {
    // Both ends of the stream are authenticated, so the addressing automerge-repo puts in every message is
    // redundant on the wire: two libp2p peer ids are about 105 bytes, more than a typical sync message
    // carries. The receiver restores them (Y20). Gossiped ephemeral messages keep a foreign author's id.
    const { targetId: _target, senderId, ...rest } = message as Message & { senderId: string; targetId: string }
    this.#sendBody(encode(senderId === this.#opts.self ? rest : { ...rest, senderId }))
  }

  /** Stops reading (frames stay in libp2p's bounded read buffer) until {@link resume}. */
  pause(): void {
    this.#held = true
    this.#applyFlow()
  }

  resume(): void {
    this.#held = false
    this.#handleBacklog()
  }

  /** Reads the stream exactly when nothing holds it and no backlog waits, so a busy peer slows down at its end. */
  #applyFlow(): void {
    const wanted = this.#held || this.#backlog.length > 0
    // A stream that is closing cannot be paused or resumed (libp2p throws); its close event cleans up.
    if (wanted && this.stream.readStatus === 'readable') this.stream.pause()
    else if (!wanted && this.stream.readStatus === 'paused') this.stream.resume()
  }

  /** Graceful close, used when a tie-break or shutdown retires this stream. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.stream.close().catch(() => this.stream.abort(new Error('sync stream close failed')))
    this.#opts.handlers.onClose(this)
  }

  /** Resets the stream because of what the peer sent (or failed to read). */
  reject(error: SyncError): void {
    if (this.#closed) return
    this.#closed = true
    const rejected = this.#opts.stats.rejected
    rejected[error.code] = (rejected[error.code] ?? 0) + 1
    this.stream.abort(error)
    this.#opts.handlers.onClose(this, error)
  }

  #sendBody(body: Uint8Array): void {
    if (this.#closed) return
    if (body.byteLength > this.#opts.maxFrameBytes) {
      // The peer would reset the stream for it, and the repo would send it again on the next stream.
      this.#opts.stats.oversizedDropped++
      this.#opts.handlers.onOversized(this, body.byteLength)
      return
    }
    const frame = encodeFrame(body)
    this.#opts.stats.framesSent++
    this.#opts.stats.bytesSent += frame.byteLength
    if (this.#waitingForDrain) {
      this.#queue.push(frame)
      this.#queuedBytes += frame.byteLength
      if (this.#queuedBytes > this.#opts.maxSendQueueBytes) {
        this.reject(new SyncError('SEND_QUEUE_FULL', `peer reads too slowly: ${this.#queuedBytes} bytes queued`))
      }
      return
    }
    this.#write(frame)
  }

  #write(frame: Uint8ArrayList): void {
    try {
      if (!this.stream.send(frame)) {
        this.#waitingForDrain = true
        this.#opts.stats.drainWaits++
      }
    } catch {
      // The stream closed under us; its 'close' event does the cleanup.
      this.#finish()
    }
  }

  #flush(): void {
    this.#waitingForDrain = false
    while (this.#queue.length > 0 && !this.#waitingForDrain && !this.#closed) {
      const frame = this.#queue.shift()!
      this.#queuedBytes -= frame.byteLength
      this.#write(frame)
    }
  }

  #onData(data: Uint8Array | Uint8ArrayList): void {
    if (this.#closed) return
    this.#opts.stats.bytesReceived += data.byteLength
    try {
      for (const body of this.#decoder.push(data)) this.#backlog.push(body)
    } catch (err) {
      this.reject(err instanceof SyncError ? err : new SyncError('MALFORMED_FRAME', (err as Error).message))
      return
    }
    this.#handleBacklog()
  }

  /**
   * Handles received frames for at most {@link HANDLE_BUDGET_MS} at a time, then yields to the event loop
   * with the stream paused. One data event can carry thousands of frames (a flood, or a read buffer that
   * filled while paused); handling them in one go would hold every other peer's frames, timers and disk
   * completions behind them. Frames keep their order.
   */
  #handleBacklog(): void {
    if (this.#handling || this.#closed) return
    this.#handling = true
    const started = performance.now()
    try {
      while (this.#backlog.length > 0 && !this.#held && !this.#closed) {
        if (performance.now() - started >= HANDLE_BUDGET_MS) break
        this.#handleFrame(this.#backlog.shift()!)
      }
    } finally {
      this.#handling = false
    }
    if (this.#closed) return
    if (this.#backlog.length > 0 && !this.#held) {
      if (!this.#resumeScheduled) {
        this.#resumeScheduled = true
        nextTurn(() => {
          this.#resumeScheduled = false
          this.#handleBacklog()
        })
      }
    } else if (this.#backlog.length === 0 && this.#remoteEnded) {
      this.#end()
      return
    }
    this.#applyFlow()
  }

  #handleFrame(body: Uint8Array): void {
    this.#opts.stats.framesReceived++
    try {
      const value = decodeFrameBody(body)
      if (this.#hello === undefined) {
        this.#hello = checkHello(value, this.remote)
        this.#opts.handlers.onHello(this, this.#hello)
      } else {
        this.#opts.handlers.onMessage(this, checkMessage(value, this.remote, this.#opts.self))
      }
    } catch (err) {
      if (err instanceof SyncError) this.reject(err)
      else this.reject(new SyncError('INVALID_MESSAGE', (err as Error).message))
    }
  }

  #onRemoteEnd(): void {
    this.#remoteEnded = true
    // Frames still waiting are handled first; the stream ends after them.
    if (this.#backlog.length === 0 && !this.#handling) this.#end()
  }

  #end(): void {
    try {
      this.#decoder.end()
      this.close()
    } catch (err) {
      this.reject(err as SyncError)
    }
  }

  #finish(): void {
    if (this.#closed) return
    this.#closed = true
    this.#opts.handlers.onClose(this)
  }
}
