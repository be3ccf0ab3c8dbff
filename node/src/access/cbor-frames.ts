/**
 * One request, one answer: the exchange of Quire's small request protocols (/quire/redeem/1.0.0,
 * /quire/host/1.0.0). Each frame is a CBOR map behind a varint length, as on the sync protocol.
 */
import type { Stream } from '@libp2p/interface'
import { decode, encode } from 'cbor-x'
import { encodeFrame, FrameDecoder } from '../sync/index.js'
import { AccessError, type AccessErrorCode } from './errors.js'

/** One frame of a CBOR map. */
export function mapFrame(value: Record<string, unknown>): ReturnType<typeof encodeFrame> {
  return encodeFrame(encode(value))
}

/** Sends one frame and closes our side of the stream. */
export async function sendFinalFrame(stream: Stream, value: Record<string, unknown>): Promise<void> {
  if (!stream.send(mapFrame(value))) await stream.onDrain()
  await stream.close()
}

/**
 * Reads the first frame, which must be a CBOR map of at most `maxBytes`. A stream that ends first, or
 * whose frame is not a map, fails with `code` and a message naming `what` ("hosting", "redemption").
 */
export async function readMapFrame(stream: Stream, maxBytes: number, code: AccessErrorCode, what: string): Promise<Record<string, unknown>> {
  const decoder = new FrameDecoder(maxBytes)
  for await (const chunk of stream) {
    const [frame] = decoder.push(chunk)
    if (frame === undefined) continue
    const value: unknown = decode(frame)
    if (typeof value !== 'object' || value === null || Array.isArray(value)) break
    return value as Record<string, unknown>
  }
  throw new AccessError(code, `The ${what} stream ended without a well-formed frame.`)
}
