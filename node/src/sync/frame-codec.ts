import { Uint8ArrayList } from 'uint8arraylist'
import { SyncError } from './errors.js'

/** Default maximum size of one frame body: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024

/** A varint longer than this cannot describe a frame we would accept, whatever the limit. */
const MAX_VARINT_BYTES = 8

/** Encodes `n` (a safe non-negative integer) as an unsigned LEB128 varint. */
export function encodeVarint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint out of range: ${n}`)
  const out: number[] = []
  let rest = n
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  out.push(rest)
  return Uint8Array.from(out)
}

/** Prefixes `body` with its length as an unsigned varint. */
export function encodeFrame(body: Uint8Array): Uint8ArrayList {
  return new Uint8ArrayList(encodeVarint(body.byteLength), body)
}

/**
 * Splits a byte stream into length-prefixed frames. The length prefix is checked against the maximum as soon
 * as it is complete, so an announced 100 MB frame is refused before any of its body is buffered.
 */
export class FrameDecoder {
  readonly #buffer = new Uint8ArrayList()
  readonly #maxFrameBytes: number
  #expected = -1

  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.#maxFrameBytes = maxFrameBytes
  }

  /** Bytes received but not yet returned as a frame. */
  get bufferedBytes(): number {
    return this.#buffer.byteLength
  }

  /** Adds bytes and returns every frame body they complete. Throws a {@link SyncError} on bad input. */
  push(chunk: Uint8Array | Uint8ArrayList): Uint8Array[] {
    this.#buffer.append(chunk)
    const frames: Uint8Array[] = []
    for (;;) {
      if (this.#expected < 0) {
        const prefix = this.#readPrefix()
        if (prefix === undefined) return frames
        this.#expected = prefix
      }
      if (this.#buffer.byteLength < this.#expected) return frames
      frames.push(this.#buffer.subarray(0, this.#expected))
      this.#buffer.consume(this.#expected)
      this.#expected = -1
    }
  }

  /** Call when the stream ends: leftover bytes mean the peer stopped mid-frame. */
  end(): void {
    if (this.#buffer.byteLength > 0) {
      throw new SyncError('MALFORMED_FRAME', `stream ended inside a frame (${this.#buffer.byteLength} bytes left over)`)
    }
  }

  #readPrefix(): number | undefined {
    let value = 0
    let scale = 1
    const available = Math.min(this.#buffer.byteLength, MAX_VARINT_BYTES)
    for (let i = 0; i < available; i++) {
      const byte = this.#buffer.get(i)
      value += (byte & 0x7f) * scale
      scale *= 0x80
      if (value > this.#maxFrameBytes) {
        throw new SyncError('FRAME_TOO_LARGE', `frame of at least ${value} bytes exceeds the limit of ${this.#maxFrameBytes}`)
      }
      if ((byte & 0x80) === 0) {
        this.#buffer.consume(i + 1)
        return value
      }
    }
    if (this.#buffer.byteLength >= MAX_VARINT_BYTES) {
      throw new SyncError('MALFORMED_FRAME', 'length prefix is not a valid varint')
    }
    return undefined
  }
}
