/**
 * The member's snapshot client (SN1-SN5) against a scripted compute peer: two real libp2p nodes over loopback,
 * the "compute peer" answering `/quire/snapshot/1.0.0` with whatever each test scripts. The real compute
 * peer's answers are covered by compute-peer/test/snapshots (which use this client too).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stream } from '@libp2p/interface'
import { decode, encode } from 'cbor-x'
import {
  encodeFrame, encodeVarint, FrameDecoder, requestSnapshots, SNAPSHOT_PROTOCOL, SnapshotClient, SnapshotError, type QuireNode,
} from '@quire/node'
import { startLoopbackNode } from '@quire/node/testing'

/** What the scripted compute peer does with a request: answer a map, send raw bytes, close, or say nothing. */
type Script = (request: Record<string, unknown>, stream: Stream) => Promise<void>

let member: QuireNode
let compute: QuireNode
let script: Script
const received: Array<Record<string, unknown>> = []
const project = 'project-doc-id'

async function firstFrame(stream: Stream): Promise<Record<string, unknown>> {
  const decoder = new FrameDecoder(16 * 1024)
  for await (const chunk of stream) {
    const [frame] = decoder.push(chunk)
    if (frame !== undefined) return decode(frame) as Record<string, unknown>
  }
  throw new Error('no request frame')
}

const answer = (value: unknown): Script => async (_request, stream) => {
  stream.send(encodeFrame(encode(value)))
  await stream.close()
}

function client(): SnapshotClient {
  return new SnapshotClient(member, compute.getMultiaddrs(), project)
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(SnapshotError)
    return (err as SnapshotError).code
  }
  throw new Error('expected a SnapshotError')
}

const record = { id: '20261207T230000000Z-abcd', createdAt: 1_765_000_000_000, kind: 'named', name: 'before the rerun', by: 'peer-x', heads: { doc: ['h1'] } }

beforeAll(async () => {
  ;[member, compute] = await Promise.all([startLoopbackNode(), startLoopbackNode()])
  await compute.handle(SNAPSHOT_PROTOCOL, async (stream) => {
    try {
      const request = await firstFrame(stream)
      received.push(request)
      await script(request, stream)
    } catch (err) {
      stream.abort(err as Error)
    }
  }, { runOnLimitedConnection: true })
})

afterAll(async () => {
  await Promise.all([member?.stop(), compute?.stop()])
})

describe('snapshot client', () => {
  it('[SN1] sends one request frame with the project and resolves with the answer of each operation', async () => {
    received.length = 0
    script = answer({ ok: true, snapshots: [record] })
    expect(await client().list()).toEqual([record])
    expect(received).toEqual([{ op: 'list', project }])

    script = answer({ ok: true, entries: [{ name: 'results.csv', type: 'file', size: 12, mtimeMs: 1 }], truncated: false })
    expect((await client().browse(record.id, 'out')).entries.map((e) => e.name)).toEqual(['results.csv'])
    script = answer({ ok: true, bytes: new TextEncoder().encode('a,b\n1,2\n') })
    expect(new TextDecoder().decode(await client().read(record.id, 'out/results.csv', 1000))).toBe('a,b\n1,2\n')
    script = answer({ ok: true, usage: { workspaceBytes: 10, snapshotBytes: 4, budgetBytes: 100 } })
    expect(await client().usage()).toEqual({ workspaceBytes: 10, snapshotBytes: 4, budgetBytes: 100 })
    script = answer({ ok: true, snapshot: record })
    expect((await client().take('before the rerun')).name).toBe('before the rerun')
    script = answer({ ok: true, written: 3, removed: 1, before: { ...record, kind: 'auto', reason: 'before-restore' } })
    expect(await client().restore(record.id)).toMatchObject({ written: 3, removed: 1, before: { reason: 'before-restore' } })
    script = answer({ ok: true })
    await client().delete(record.id)
    expect(received.slice(1)).toEqual([
      { op: 'browse', project, id: record.id, path: 'out' },
      { op: 'read', project, id: record.id, path: 'out/results.csv', maxBytes: 1000 },
      { op: 'usage', project },
      { op: 'take', project, name: 'before the rerun' },
      // A whole-project restore sends no path (N14).
      { op: 'restore', project, id: record.id },
      { op: 'delete', project, id: record.id },
    ])
  })

  it('[SN2] a refusal rejects with its stable code and a message cut to 500 characters; an unknown code is SNAPSHOT_FAILED', async () => {
    script = answer({ ok: false, code: 'SNAPSHOT_ACCESS_DENIED', message: 'x'.repeat(5000) })
    const err = await client().take('n').catch((e: unknown) => e as SnapshotError)
    expect(err).toBeInstanceOf(SnapshotError)
    expect((err as SnapshotError).code).toBe('SNAPSHOT_ACCESS_DENIED')
    expect((err as SnapshotError).message).toHaveLength(500)
    script = answer({ ok: false, code: 'SOMETHING_NEW', message: 'no' })
    expect(await codeOf(client().list())).toBe('SNAPSHOT_FAILED')
    // The raw request rejects the same way.
    script = answer({ ok: false, code: 'SNAPSHOT_NOT_FOUND', message: 'no such snapshot' })
    expect(await codeOf(requestSnapshots(member, compute.getMultiaddrs(), { op: 'read', project, id: 'x', path: 'a' }))).toBe('SNAPSHOT_NOT_FOUND')
  })

  it('[SN3] an answer of another shape than its operation answers is SNAPSHOT_ANSWER_INVALID', async () => {
    const cases: Array<[unknown, () => Promise<unknown>]> = [
      [{ ok: true, snapshots: [{ id: 5, createdAt: 1, kind: 'auto' }] }, () => client().list()],
      [{ ok: true, snapshots: [{ ...record, kind: 'sometimes' }] }, () => client().list()],
      [{ ok: true, snapshots: [{ ...record, heads: { d: [1] } }] }, () => client().list()],
      [{ ok: true, snapshots: 'all of them' }, () => client().list()],
      [{ ok: true, entries: [{ name: 'a', type: 'door', size: 1, mtimeMs: 1 }], truncated: false }, () => client().browse('x', '')],
      [{ ok: true, bytes: 'text, not bytes' }, () => client().read('x', 'a')],
      [{ ok: true, usage: { workspaceBytes: -1, snapshotBytes: 0 } }, () => client().usage()],
      [{ ok: true, written: 1 }, () => client().restore('x')],
      [{ ok: true, written: 1, removed: 0, before: { id: 'y' } }, () => client().restore('x')],
      [{ ok: true }, () => client().take('n')],
    ]
    for (const [value, call] of cases) {
      script = answer(value)
      expect(await codeOf(call()), JSON.stringify(value)).toBe('SNAPSHOT_ANSWER_INVALID')
    }
  })

  it('[SN4] an answer announced larger than the bound, or not a CBOR map, is SNAPSHOT_ANSWER_INVALID', async () => {
    script = async (_request, stream) => {
      // 100 MB announced; only a little of it is ever sent: the client refuses from the prefix.
      stream.send(encodeVarint(100 * 1024 * 1024))
      stream.send(new Uint8Array(64 * 1024))
      await stream.close().catch(() => undefined)
    }
    expect(await codeOf(client().list())).toBe('SNAPSHOT_ANSWER_INVALID')
    script = answer(['ok', true])
    expect(await codeOf(client().list())).toBe('SNAPSHOT_ANSWER_INVALID')
    script = answer(new Uint8Array([1, 2, 3]))
    expect(await codeOf(client().list())).toBe('SNAPSHOT_ANSWER_INVALID')
  })

  it('[SN5] no answer (stream closed, signal ended, peer gone) is SNAPSHOT_UNREACHABLE', async () => {
    script = async (_request, stream) => { await stream.close() }
    expect(await codeOf(client().list())).toBe('SNAPSHOT_UNREACHABLE')
    // A compute peer that never answers: the caller's signal ends the request.
    script = () => new Promise(() => undefined)
    expect(await codeOf(client().list(AbortSignal.timeout(500)))).toBe('SNAPSHOT_UNREACHABLE')
    const gone = await startLoopbackNode()
    const addresses = gone.getMultiaddrs()
    await gone.stop()
    const err = await new SnapshotClient(member, addresses, project).list(AbortSignal.timeout(20_000)).catch((e: unknown) => e as SnapshotError)
    expect(err).toBeInstanceOf(SnapshotError)
    expect((err as SnapshotError).code).toBe('SNAPSHOT_UNREACHABLE')
    expect((err as SnapshotError).message).toMatch(/check that it runs and is online/)
  })
})
