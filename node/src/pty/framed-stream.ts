/**
 * CBOR frames over one libp2p stream, for `/quire/pty/1.0.0`: frames in are bounded and decoded one by one
 * (bad bytes end the stream with a code), frames out are queued while the transport asks us to wait, up to
 * a bound beyond which the other end is taken to have stopped reading.
 */
import type { Stream } from '@libp2p/interface'
import { encode } from 'cbor-x'
import type { Uint8ArrayList } from 'uint8arraylist'
import { SyncError } from '../sync/errors.js'
import { encodeFrame, FrameDecoder } from '../sync/frame-codec.js'
import { decodeFrameBody } from '../sync/message-guard.js'
import { MAX_PTY_FRAME_BYTES, PtyProtocolError } from './protocol.js'

export interface FramedStreamInit {
  readonly onFrame: (value: unknown) => void
  /** Called once when the stream is finished; `error` when it broke the protocol or failed. */
  readonly onClose: (error?: PtyProtocolError | Error) => void
  readonly maxFrameBytes?: number
  /** Bytes we queue for a peer that does not read before giving up on it. Default 4 MiB. */
  readonly maxQueuedBytes?: number
  /** The frame to send before closing when the other end sends bytes that are not a frame (else the stream is reset). */
  readonly rejection?: (error: PtyProtocolError) => unknown
}

export class FramedStream {
  readonly stream: Stream
  readonly #init: FramedStreamInit
  readonly #decoder: FrameDecoder
  readonly #max: number
  #queue: Uint8ArrayList[] = []
  #queued = 0
  #waiting = false
  #closed = false
  /** Closing waits for the queue to drain. */
  #closeAfterFlush = false
  /** The other end broke the protocol: what it sends from now on is ignored. */
  #rejected = false

  constructor(stream: Stream, init: FramedStreamInit) {
    this.stream = stream
    this.#init = init
    this.#max = init.maxFrameBytes ?? MAX_PTY_FRAME_BYTES
    this.#decoder = new FrameDecoder(this.#max)
    stream.addEventListener('message', (evt) => this.#onData(evt.data))
    stream.addEventListener('remoteCloseWrite', () => this.close())
    stream.addEventListener('close', (evt) => this.#finish((evt as { error?: Error }).error))
    stream.addEventListener('drain', () => this.#flush())
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Bytes waiting to be handed to the transport. */
  get queuedBytes(): number {
    return this.#queued
  }

  /** Sends one frame; false when the stream is closed or the frame is too large. */
  send(value: unknown): boolean {
    if (this.#closed) return false
    const body = encode(value) as Uint8Array
    if (body.byteLength > this.#max) return false
    const frame = encodeFrame(body)
    if (this.#waiting) {
      this.#queue.push(frame)
      this.#queued += frame.byteLength
      if (this.#queued > (this.#init.maxQueuedBytes ?? 4 * 1024 * 1024)) this.fail(new PtyProtocolError('PTY_TOO_SLOW', `the other end left ${this.#queued} bytes unread`))
      return !this.#closed
    }
    this.#write(frame)
    return !this.#closed
  }

  /** Ends the stream after what is queued. */
  close(): void {
    if (this.#closed) return
    const pending = this.#queue.length > 0
    if (!pending) {
      this.#closed = true
      this.stream.close().catch(() => this.stream.abort(new Error('close failed')))
      this.#init.onClose()
      return
    }
    // Let the queue drain first; `#flush` closes once it is empty.
    this.#closeAfterFlush = true
  }

  /** Answers a broken frame: the rejection frame if there is one, then the end of the stream. */
  reject(error: PtyProtocolError): void {
    if (this.#closed || this.#rejected) return
    this.#rejected = true
    const answer = this.#init.rejection?.(error)
    if (answer === undefined) return this.fail(error)
    this.send(answer)
    this.close()
  }

  /** Resets the stream because of `error`. */
  fail(error: Error): void {
    if (this.#closed) return
    this.#closed = true
    this.stream.abort(error)
    this.#init.onClose(error)
  }

  #write(frame: Uint8ArrayList): void {
    try {
      if (!this.stream.send(frame)) this.#waiting = true
    } catch (err) {
      this.#finish(err as Error)
    }
  }

  #flush(): void {
    this.#waiting = false
    while (this.#queue.length > 0 && !this.#waiting && !this.#closed) {
      const frame = this.#queue.shift()!
      this.#queued -= frame.byteLength
      this.#write(frame)
    }
    if (this.#queue.length === 0 && this.#closeAfterFlush) {
      this.#closeAfterFlush = false
      this.close()
    }
  }

  #onData(chunk: Uint8Array | Uint8ArrayList): void {
    if (this.#closed || this.#rejected) return
    let bodies: Uint8Array[]
    try {
      bodies = this.#decoder.push(chunk)
    } catch (err) {
      const tooLarge = err instanceof SyncError && err.code === 'FRAME_TOO_LARGE'
      this.reject(new PtyProtocolError(tooLarge ? 'PTY_FRAME_TOO_LARGE' : 'PTY_BAD_FRAME', (err as Error).message))
      return
    }
    for (const body of bodies) {
      if (this.#closed || this.#rejected) return
      let value: unknown
      try {
        value = decodeFrameBody(body)
      } catch (err) {
        this.reject(new PtyProtocolError('PTY_BAD_FRAME', (err as Error).message))
        return
      }
      this.#init.onFrame(value)
    }
  }

  #finish(error?: Error): void {
    if (this.#closed) return
    this.#closed = true
    this.#init.onClose(error)
  }
}
