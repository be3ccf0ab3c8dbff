/**
 * Bad input on `/quire/pty/1.0.0`: random and oversized frames, unknown ids, impossible sizes. Each gets its
 * stable code and the compute peer keeps serving.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { encode } from 'cbor-x'
import fc from 'fast-check'
import { encodeFrame, encodeVarint, FrameDecoder, PTY_PROTOCOL, decodeFrameBody } from '@quire/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Member } from '../daemon/peers.js'
import { codeOf, list, terminalWorld, until, view, type TerminalWorld } from './harness.js'

let world: TerminalWorld

beforeAll(async () => {
  world = await terminalWorld()
}, 180_000)

afterAll(async () => {
  await world?.stop()
})

interface Exchange { frames: Array<Record<string, unknown>>; closed: boolean }

/** Sends raw bytes on a fresh stream; collects the frames that come back until the stream ends (or `ms`). */
async function raw(who: Member, chunks: Uint8Array[], ms = 5_000): Promise<Exchange> {
  const stream = await who.node.dialProtocol(multiaddr(world.compute.info.addresses[0]!), PTY_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
  const decoder = new FrameDecoder(1024 * 1024)
  const result: Exchange = { frames: [], closed: false }
  stream.addEventListener('message', (evt) => {
    for (const body of decoder.push(evt.data)) result.frames.push(decodeFrameBody(body) as Record<string, unknown>)
  })
  stream.addEventListener('remoteCloseWrite', () => { result.closed = true })
  stream.addEventListener('close', () => { result.closed = true })
  for (const chunk of chunks) stream.send(chunk)
  await until(() => result.closed, 'the stream to end', ms).catch(() => undefined)
  if (stream.status === 'open') stream.abort(new Error('done'))
  return result
}

const frame = (value: unknown): Uint8Array => encodeFrame(encode(value) as Uint8Array).subarray()
const codes = (e: Exchange): unknown[] => e.frames.filter((f) => f['t'] === 'error').map((f) => f['code'])

async function stillServes(): Promise<void> {
  expect(Array.isArray(await list(world, world.writer))).toBe(true)
}

describe('bad input on /quire/pty/1.0.0', () => {
  it('[T15] bytes that are not CBOR, unknown frame types and missing fields get PTY_BAD_FRAME; the peer stays up', async () => {
    const garbage = await raw(world.writer, [encodeFrame(Uint8Array.from([0xff, 0xfe, 0x1c, 0x00])).subarray()])
    expect(codes(garbage)).toEqual(['PTY_BAD_FRAME'])
    expect(garbage.closed).toBe(true)
    expect(codes(await raw(world.writer, [frame({ t: 'shell', project: world.project.id })]))).toEqual(['PTY_BAD_FRAME'])
    expect(codes(await raw(world.writer, [frame({ t: 'attach', project: world.project.id, cols: 80, rows: 24 })]))).toEqual(['PTY_BAD_FRAME'])
    expect(codes(await raw(world.writer, [frame([1, 2, 3])]))).toEqual(['PTY_BAD_FRAME'])
    // After a good open, a bad frame ends that stream only.
    const opened = await raw(world.writer, [frame({ t: 'open', project: world.project.id, name: 'x', cols: 80, rows: 24 }), frame({ t: 'input', data: 'not bytes' })])
    expect(opened.frames[0]?.['t']).toBe('ready')
    expect(codes(opened)).toEqual(['PTY_BAD_FRAME'])
    await stillServes()
  })

  it('[T15] a frame announced over the limit gets PTY_FRAME_TOO_LARGE before its body is read', async () => {
    const huge = await raw(world.writer, [encodeVarint(100 * 1024 * 1024), new Uint8Array(1024)])
    expect(codes(huge)).toEqual(['PTY_FRAME_TOO_LARGE'])
    await stillServes()
  })

  it('[T15] random frames: every answer is a stable code, the peer stays up', async () => {
    const seen = new Set<unknown>()
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 64 }).map((b) => encodeFrame(b).subarray()),
        fc.anything().map((v) => frame(v)),
        fc.record({ t: fc.constantFrom('open', 'attach', 'list', 'input', 'resize', 'ack'), project: fc.constantFrom(world.project.id, 'nope'), id: fc.string(), cols: fc.integer(), rows: fc.integer() }).map(frame),
      ),
      async (bytes) => {
        const e = await raw(world.writer, [bytes], 3_000)
        for (const f of e.frames) {
          if (f['t'] === 'error') {
            expect(String(f['code'])).toMatch(/^PTY_[A-Z_]+$/)
            seen.add(f['code'])
          }
        }
      },
    ), { numRuns: 25 })
    expect(seen.size).toBeGreaterThan(0)
    await stillServes()
  }, 120_000)

  it('[T15] an unknown terminal id gets PTY_NO_SUCH_TERMINAL', async () => {
    expect(await codeOf(view(world, world.writer, { id: 'no-such-terminal' }))).toBe('PTY_NO_SUCH_TERMINAL')
    expect(await codeOf(view(world, world.reader, { id: 'no-such-terminal' }))).toBe('PTY_NO_SUCH_TERMINAL')
  })

  it('[T14] a size of 0x0 or 100000x100000 gets PTY_BAD_SIZE: refused on open, ignored on resize', async () => {
    expect(await codeOf(view(world, world.writer, { name: 'zero' }, { cols: 0, rows: 0 }))).toBe('PTY_BAD_SIZE')
    expect(await codeOf(view(world, world.writer, { name: 'huge' }, { cols: 100_000, rows: 100_000 }))).toBe('PTY_BAD_SIZE')
    const a = await view(world, world.writer, { name: 'resized' })
    const errors: string[] = []
    a.viewer.on('error', (code) => errors.push(code))
    a.viewer.resize(0, 0)
    a.viewer.resize(100_000, 100_000)
    a.viewer.resize(1.5 as number, 24)
    await until(() => errors.length === 3, 'three refusals')
    expect(errors).toEqual(['PTY_BAD_SIZE', 'PTY_BAD_SIZE', 'PTY_BAD_SIZE'])
    a.viewer.write('stty size\r')
    await a.waitFor(/\n24 80\n/)
    expect(a.viewer.closed).toBe(false)
    a.viewer.detach()
    a.dispose()
    await stillServes()
  })

  it('[T3] a project this compute peer does not serve gets PTY_NOT_SERVED', async () => {
    const other = await raw(world.writer, [frame({ t: 'list', project: '3rXvBYoV6BAGQPMXP8r6ZDQY4tkj' })])
    expect(codes(other)).toEqual(['PTY_NOT_SERVED'])
  })

  it('[T15] a stream that sends no request is closed', async () => {
    const silent = await raw(world.writer, [], 30_000)
    expect(silent.closed).toBe(true)
    expect(codes(silent)).toEqual(['PTY_BAD_FRAME'])
  }, 40_000)
})
