import { describe, expect, it } from 'vitest'
import { encodeFrame, encodeVarint, FrameDecoder, SyncError } from '@quire/node'

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(SyncError)
    return (err as SyncError).code
  }
  throw new Error('expected a SyncError')
}

describe('sync frame codec', () => {
  it('[Y4] frames split at every byte boundary come out whole and in order', () => {
    const bodies = [new Uint8Array(0), Uint8Array.from([1]), new Uint8Array(300).fill(7), new Uint8Array(70_000).fill(3)]
    const wire = Buffer.concat(bodies.map((b) => encodeFrame(b).subarray()))
    for (const step of [1, 2, 127, 128, 129, 4096, wire.length]) {
      const decoder = new FrameDecoder()
      const out: Uint8Array[] = []
      for (let i = 0; i < wire.length; i += step) out.push(...decoder.push(wire.subarray(i, i + step)))
      expect(out.map((b) => b.byteLength)).toEqual(bodies.map((b) => b.byteLength))
      expect(() => decoder.end()).not.toThrow()
    }
  })

  it('[Y6] a 100 MB length prefix is refused from its bytes alone', () => {
    const decoder = new FrameDecoder()
    const prefix = encodeVarint(100 * 1024 * 1024)
    expect(prefix.byteLength).toBe(4)
    expect(codeOf(() => decoder.push(prefix))).toBe('FRAME_TOO_LARGE')
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(4)
  })

  it('[Y4] an endless varint and a stream ending inside a frame are MALFORMED_FRAME', () => {
    expect(codeOf(() => new FrameDecoder(Number.MAX_SAFE_INTEGER).push(new Uint8Array(9).fill(0x80)))).toBe('MALFORMED_FRAME')
    const decoder = new FrameDecoder()
    decoder.push(Uint8Array.from([5, 1, 2]))
    expect(codeOf(() => decoder.end())).toBe('MALFORMED_FRAME')
  })
})
