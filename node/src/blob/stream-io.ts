import type { Stream } from '@libp2p/interface'
import { decode, encode } from 'cbor-x'
import { Uint8ArrayList } from 'uint8arraylist'
import { encodeFrame, FrameDecoder } from '../sync/frame-codec.js'
import { SyncError } from '../sync/errors.js'
import { BlobError } from './errors.js'

/** Headers are tiny; anything bigger is not a header. */
const MAX_HEADER_BYTES = 4096

/** Reads length-prefixed CBOR headers and raw bodies from one stream, in order. */
export class BlobStreamReader {
  readonly #iterator: AsyncIterator<Uint8Array | Uint8ArrayList>
  readonly #buffer = new Uint8ArrayList()

  constructor(stream: Stream) {
    this.#iterator = stream[Symbol.asyncIterator]()
  }

  async #more(): Promise<boolean> {
    const next = await this.#iterator.next()
    if (next.done === true) return false
    this.#buffer.append(next.value)
    return true
  }

  /** The next header frame, decoded. */
  async readHeader(): Promise<Record<string, unknown>> {
    const decoder = new FrameDecoder(MAX_HEADER_BYTES)
    for (;;) {
      let frames: Uint8Array[]
      try {
        frames = decoder.push(this.#buffer.sublist())
      } catch (err) {
        throw new BlobError('BLOB_PROTOCOL_ERROR', `bad header: ${(err as SyncError).message}`)
      }
      if (frames.length > 0) {
        // The decoder took what it needed; keep the rest (the body) for later reads.
        const used = this.#buffer.byteLength - decoder.bufferedBytes
        this.#buffer.consume(used)
        let value: unknown
        try {
          value = decode(frames[0]!)
        } catch {
          throw new BlobError('BLOB_PROTOCOL_ERROR', 'header is not CBOR')
        }
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          throw new BlobError('BLOB_PROTOCOL_ERROR', 'header is not a map')
        }
        return value as Record<string, unknown>
      }
      this.#buffer.consume(this.#buffer.byteLength)
      if (!(await this.#more())) throw new BlobError('BLOB_PROTOCOL_ERROR', 'stream ended before a header')
    }
  }

  /** Exactly `size` body bytes, in the order received. */
  async readBody(size: number): Promise<Uint8Array> {
    while (this.#buffer.byteLength < size) {
      if (!(await this.#more())) {
        throw new BlobError('BLOB_PROTOCOL_ERROR', `stream ended after ${this.#buffer.byteLength} of ${size} body bytes`)
      }
    }
    if (this.#buffer.byteLength > size) {
      throw new BlobError('BLOB_PROTOCOL_ERROR', `more than the announced ${size} body bytes`)
    }
    const body = this.#buffer.subarray(0, size)
    this.#buffer.consume(size)
    return body
  }
}

/** Sends one header frame. */
export async function writeHeader(stream: Stream, header: Record<string, unknown>): Promise<void> {
  await write(stream, encodeFrame(encode(header)))
}

/** Sends bytes, waiting for `drain` whenever the stream asks us to. */
export async function write(stream: Stream, data: Uint8Array | Uint8ArrayList): Promise<void> {
  if (!stream.send(data)) await stream.onDrain()
}
