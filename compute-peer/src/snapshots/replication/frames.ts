/**
 * Frames of `/quire/snapshot-replica/1.0.0` (N21): varint length + CBOR map (@quire/node's frame codec), read
 * with backpressure. The reader holds at most {@link READ_HIGH_WATER} bytes of frames not yet taken: above it
 * the stream is paused (yamux stops granting the sender window, so its `send` waits for a drain), and it is
 * resumed once the taker caught up. A refusal is answered, the writable end closed, then the stream reset,
 * so a sender waiting for a drain is released and still reads the answer. A sender waits for a drain whenever `send` says the buffer is full.
 */
import { createHash, type Hash } from 'node:crypto'
import type { Stream } from '@libp2p/interface'
import { encodeFrame, FrameDecoder } from '@quire/node'
import { decode, encode } from 'cbor-x'
import { ReplicaError } from './types.js'

/** The largest frame accepted: a header with a snapshot's record (its document heads) or a data chunk. */
export const MAX_REPLICA_FRAME_BYTES = 4 * 1024 * 1024
/** The payload bytes carried by one data frame. */
export const DATA_FRAME_BYTES = 256 * 1024
/** What a paused stream may hold: yamux's largest receive window and then some. */
const MAX_PAUSED_BYTES = 24 * 1024 * 1024
/** Bytes of whole frames not yet taken at which the reader pauses the stream. */
export const READ_HIGH_WATER = 1024 * 1024

export type Frame = Record<string, unknown>

/** Takes a stream's frames one by one; `next()` resolves undefined when the remote closed at a frame boundary. */
export class FrameReader {
  readonly #stream: Stream
  readonly #decoder = new FrameDecoder(MAX_REPLICA_FRAME_BYTES)
  readonly #frames: Uint8Array[] = []
  #bytes = 0
  #ended = false
  #error: Error | undefined
  #wake: (() => void) | undefined
  #hash: Hash | undefined
  #hashed = 0
  #before: { bytes: number; sha256: string } = { bytes: 0, sha256: '' }

  constructor(stream: Stream) {
    this.#stream = stream
    // A pause stops yamux granting more window, but what it granted (up to its 16 MiB maximum) still comes:
    // the stream must hold that much while paused instead of resetting at its 4 MiB default.
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, MAX_PAUSED_BYTES)
    stream.addEventListener('message', (evt) => {
      try {
        for (const frame of this.#decoder.push(evt.data)) {
          this.#frames.push(frame)
          this.#bytes += frame.byteLength
        }
      } catch (err) {
        this.#error = new ReplicaError('REPLICA_REQUEST_INVALID', `a replica frame is not well formed: ${(err as Error).message}`)
      }
      // Whole frames waiting only: a large frame still arriving must never pause the stream it needs.
      if (this.#bytes > READ_HIGH_WATER && this.#stream.readStatus === 'readable') this.#stream.pause()
      this.#notify()
    })
    stream.addEventListener('remoteCloseWrite', () => this.#end())
    stream.addEventListener('close', (evt) => this.#end((evt as Event & { error?: Error }).error))
  }

  /** The next frame as a CBOR map; undefined at a clean end; throws REPLICA_REQUEST_INVALID or the stream's error. */
  async next(): Promise<Frame | undefined> {
    for (;;) {
      // Frames that came before an error or a reset are still taken: a refusal is answered, then the stream reset.
      const body = this.#frames.shift()
      if (body !== undefined) {
        this.#bytes -= body.byteLength
        if (this.#hash !== undefined) {
          this.#before = { bytes: this.#hashed, sha256: this.#hash.copy().digest('hex') }
          this.#hash.update(body)
          this.#hashed += body.byteLength
        }
        if (this.#stream.readStatus === 'paused' && this.#bytes < READ_HIGH_WATER / 2) this.#stream.resume()
        return asMap(body)
      }
      if (this.#error !== undefined) throw this.#error
      if (this.#stream.readStatus === 'paused') {
        this.#stream.resume() // what the stream holds comes now (an end while paused included)
        continue
      }
      if (this.#ended) {
        if (this.#decoder.bufferedBytes > 0) throw new ReplicaError('REPLICA_INCOMPLETE', `the stream ended inside a frame (${this.#decoder.bufferedBytes} bytes left over)`)
        return undefined
      }
      await new Promise<void>((resolve) => { this.#wake = resolve })
    }
  }

  /** Whether a frame (or the end, or an error) is waiting: the other side answered early. */
  get ready(): boolean {
    return this.#frames.length > 0 || this.#ended || this.#error !== undefined
  }

  /** Starts the transfer's digest: every frame body taken from now on is counted and hashed. */
  startDigest(): void {
    this.#hash = createHash('sha256')
  }

  /** Bytes and SHA-256 of the frame bodies taken since `startDigest`, the last one taken left out (the end frame). */
  get digestBeforeLast(): { bytes: number; sha256: string } {
    return this.#before
  }

  #end(error?: Error): void {
    this.#ended = true
    if (error !== undefined && this.#error === undefined) this.#error = new ReplicaError('REPLICA_INCOMPLETE', `the stream was cut: ${error.message}`)
    this.#notify()
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }
}

function asMap(body: Uint8Array): Frame {
  let value: unknown
  try {
    value = decode(body)
  } catch (err) {
    throw new ReplicaError('REPLICA_REQUEST_INVALID', `a replica frame is not CBOR: ${(err as Error).message}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw new ReplicaError('REPLICA_REQUEST_INVALID', 'a replica frame must be a CBOR map')
  }
  return value as Frame
}

/** Bytes a sender lets wait in its stream's buffer (the receiver paused, or slow) before it waits too. */
export const WRITE_HIGH_WATER = 4 * 1024 * 1024

/**
 * Sends one frame, waiting for a drain when the stream's buffer is full, and while more than
 * {@link WRITE_HIGH_WATER} bytes wait in it: a drain only says the connection took bytes, not that the
 * receiver's window did, so the buffer itself is what bounds the sender's memory.
 */
export async function sendFrame(stream: Stream, frame: Frame, signal?: AbortSignal): Promise<void> {
  if (!stream.send(encodeFrame(encode(frame)))) await stream.onDrain(signal === undefined ? {} : { signal })
  while (stream.writeBufferLength > WRITE_HIGH_WATER && stream.status === 'open') {
    await new Promise<void>((resolve, reject) => {
      const target = stream as unknown as EventTarget
      const done = (): void => {
        target.removeEventListener('idle', done)
        target.removeEventListener('close', done)
        signal?.removeEventListener('abort', aborted)
        resolve()
      }
      const aborted = (): void => { done(); reject(signal!.reason as Error) }
      target.addEventListener('idle', done)
      target.addEventListener('close', done)
      signal?.addEventListener('abort', aborted)
      // 'idle' comes when the buffer empties; a timer checks again meanwhile, so a partial drain is seen too.
      setTimeout(done, 50)
    })
  }
}

/** A refusal as the other side gets it. */
export function refusal(err: unknown): Frame {
  const e = err instanceof ReplicaError ? err : new ReplicaError('REPLICA_FAILED', (err as Error).message)
  return { ok: false, code: e.code, message: e.message.slice(0, 1000) }
}

/** Throws the refusal an answer carries; returns the answer when it says ok. */
export function expectOk(answer: Frame | undefined, what: string): Frame {
  if (answer === undefined) throw new ReplicaError('REPLICA_INCOMPLETE', `the other side closed the stream without answering ${what}`)
  if (answer['ok'] === true) return answer
  const code = typeof answer['code'] === 'string' ? answer['code'] : 'REPLICA_FAILED'
  throw new ReplicaError(code as ReplicaError['code'], typeof answer['message'] === 'string' ? answer['message'].slice(0, 1000) : `${what} was refused without a reason`)
}
