/**
 * Length-prefixed CBOR frames over a pair of byte streams: the pipe between the compute peer and a helper
 * process it runs in the sandbox (the workspace's disk side, a terminal's pty). Either end may be
 * compromised code's neighbour, so both treat what arrives as untrusted: frames are bounded, undecodable
 * bytes close the channel with a stable code, and a reader that stops reading is cut off instead of
 * buffering without end.
 */
import type { Readable, Writable } from 'node:stream'
import { encode } from 'cbor-x'
import { decodeFrameBody, encodeFrame, FrameDecoder, SyncError } from '@quire/node'

/** Why a channel closed, when it was not a plain end of the pipe. */
export interface ChannelError {
  readonly code: 'PIPE_MALFORMED' | 'PIPE_FRAME_TOO_LARGE' | 'PIPE_BACKLOG_FULL' | 'PIPE_FAILED'
  readonly message: string
}

export interface FrameChannelInit {
  readonly input: Readable
  readonly output: Writable
  /** Largest frame body accepted or sent, bytes. */
  readonly maxFrameBytes: number
  /** Bytes the other end may leave unread before the channel closes. Default 4 frames' worth. */
  readonly maxBacklogBytes?: number
  readonly onFrame: (value: unknown) => void
  /** Called once, when the pipe ends or fails; `error` is set when we closed it because of the other end. */
  readonly onClose: (error?: ChannelError) => void
}

export class FrameChannel {
  readonly #init: FrameChannelInit
  readonly #decoder: FrameDecoder
  readonly #maxBacklog: number
  #closed = false

  constructor(init: FrameChannelInit) {
    this.#init = init
    this.#decoder = new FrameDecoder(init.maxFrameBytes)
    this.#maxBacklog = init.maxBacklogBytes ?? 4 * init.maxFrameBytes
    init.input.on('data', (chunk: Buffer) => this.#onData(chunk))
    init.input.on('end', () => this.#close())
    init.input.on('error', (err) => this.#close({ code: 'PIPE_FAILED', message: err.message }))
    init.output.on('error', (err) => this.#close({ code: 'PIPE_FAILED', message: err.message }))
    init.output.on('close', () => this.#close())
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Sends one value; false (and nothing sent) when it is too large or the channel is closed. */
  send(value: unknown): boolean {
    if (this.#closed) return false
    const body = encode(value) as Uint8Array
    if (body.byteLength > this.#init.maxFrameBytes) return false
    if (this.#init.output.writableLength > this.#maxBacklog) {
      this.#close({ code: 'PIPE_BACKLOG_FULL', message: `the other end left ${this.#init.output.writableLength} bytes unread` })
      return false
    }
    this.#init.output.write(encodeFrame(body).subarray())
    return true
  }

  /** Ends our side; the other end sees the pipe close. */
  close(): void {
    if (this.#closed) return
    this.#init.output.end()
    this.#close()
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return
    let bodies: Uint8Array[]
    try {
      bodies = this.#decoder.push(chunk)
    } catch (err) {
      const tooLarge = err instanceof SyncError && err.code === 'FRAME_TOO_LARGE'
      this.#close({ code: tooLarge ? 'PIPE_FRAME_TOO_LARGE' : 'PIPE_MALFORMED', message: (err as Error).message })
      return
    }
    for (const body of bodies) {
      if (this.#closed) return
      let value: unknown
      try {
        value = decodeFrameBody(body)
      } catch (err) {
        this.#close({ code: 'PIPE_MALFORMED', message: (err as Error).message })
        return
      }
      this.#init.onFrame(value)
    }
  }

  #close(error?: ChannelError): void {
    if (this.#closed) return
    this.#closed = true
    this.#init.input.destroy()
    if (error !== undefined) this.#init.output.destroy()
    this.#init.onClose(error)
  }
}
