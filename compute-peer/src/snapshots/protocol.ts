/**
 * `/quire/snapshot/1.0.0` (N14-N18): members list, browse and read a project's snapshots on the compute peer
 * that serves it; writers take named snapshots and restore. One request frame and one answer frame per
 * stream (varint length + CBOR map, @quire/node's frame codec): `{op, project, id?, path?, name?, maxBytes?}`
 * and `{ok: true, ...}` or `{ok: false, code, message}`.
 */
import type { DocumentId } from '@automerge/automerge-repo'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { encodeFrame, FrameDecoder } from '@quire/node'
import { decode, encode } from 'cbor-x'
import type { ProjectSnapshots } from './service.js'
import { SnapshotError, type SnapshotErrorCode } from './types.js'

export const SNAPSHOT_PROTOCOL = '/quire/snapshot/1.0.0'
/** The largest request accepted (paths and names are short). */
export const MAX_SNAPSHOT_REQUEST_BYTES = 16 * 1024
/** The largest file a read returns in one answer; larger files are refused with SNAPSHOT_FILE_TOO_LARGE. */
export const MAX_SNAPSHOT_READ_BYTES = 4 * 1024 * 1024
/** The largest answer a client accepts: a read's bytes plus room for the map around them. */
const MAX_ANSWER_BYTES = MAX_SNAPSHOT_READ_BYTES + 64 * 1024
/** A folder listing is cut at this many entries (`truncated: true`). */
export const MAX_BROWSE_ENTRIES = 5000
const TIMEOUT_MS = 60_000

export type SnapshotOp = 'list' | 'browse' | 'read' | 'take' | 'restore' | 'delete' | 'usage'
const READER_OPS = new Set<SnapshotOp>(['list', 'browse', 'read', 'usage'])
const WRITER_OPS = new Set<SnapshotOp>(['take', 'restore', 'delete'])

export interface SnapshotRequest {
  readonly op: SnapshotOp
  readonly project: string
  readonly id?: string
  readonly path?: string
  readonly name?: string
  readonly maxBytes?: number
}

export interface SnapshotServerInit {
  readonly libp2p: Pick<Libp2p, 'handle' | 'unhandle'>
  /** The running snapshot services by project (filled by `snapshotService`). */
  readonly registry: ReadonlyMap<DocumentId, ProjectSnapshots>
  readonly log?: (line: string) => void
}

/** Answers snapshot requests until stopped (the compute peer's side). */
export async function serveSnapshots(init: SnapshotServerInit): Promise<{ stop(): Promise<void> }> {
  await init.libp2p.handle(SNAPSHOT_PROTOCOL, async (stream, connection) => {
    const from = connection.remotePeer.toString()
    let answer: Record<string, unknown>
    try {
      const request = parseRequest(await readFrame(stream, MAX_SNAPSHOT_REQUEST_BYTES))
      answer = { ok: true, ...(await perform(init.registry, request, from)) }
    } catch (err) {
      const e = err instanceof SnapshotError ? err : new SnapshotError('SNAPSHOT_FAILED', (err as Error).message)
      if (!(err instanceof SnapshotError)) init.log?.(`snapshot request from ${from} failed: ${(err as Error).message}`)
      answer = { ok: false, code: e.code, message: e.message }
    }
    try {
      if (!stream.send(encodeFrame(encode(answer)))) await stream.onDrain()
      await stream.close()
    } catch (err) {
      stream.abort(err as Error)
    }
  }, { runOnLimitedConnection: true, maxInboundStreams: 8 })
  return { stop: () => init.libp2p.unhandle(SNAPSHOT_PROTOCOL) }
}

async function perform(registry: ReadonlyMap<DocumentId, ProjectSnapshots>, r: SnapshotRequest, from: string): Promise<Record<string, unknown>> {
  const service = registry.get(r.project as DocumentId)
  // Not served here and not a member read alike: a stranger learns nothing about which projects are here (N15).
  if (service === undefined || !(await service.canRead(from))) {
    throw new SnapshotError('SNAPSHOT_ACCESS_DENIED', `this compute peer serves no project ${r.project} that you may read`)
  }
  if (WRITER_OPS.has(r.op) && !(await service.isWriter(from))) {
    const what = r.op === 'take' ? 'take named snapshots' : r.op === 'delete' ? 'delete snapshots' : 'restore'
    throw new SnapshotError('SNAPSHOT_ACCESS_DENIED', `only writers of the project may ${what}; ask an admin for the writer role`)
  }
  const d = service.driver
  switch (r.op) {
    case 'list': return { snapshots: await d.list() }
    case 'usage': return { usage: await d.usage() }
    case 'browse': {
      const entries = await d.browse(need(r.id, 'id'), r.path ?? '')
      return { entries: entries.slice(0, MAX_BROWSE_ENTRIES), truncated: entries.length > MAX_BROWSE_ENTRIES }
    }
    case 'read': return { bytes: await d.read(need(r.id, 'id'), need(r.path, 'path'), Math.min(r.maxBytes ?? MAX_SNAPSHOT_READ_BYTES, MAX_SNAPSHOT_READ_BYTES)) }
    case 'take': return { snapshot: await service.named(need(r.name, 'name'), from) }
    case 'delete': {
      await service.delete(need(r.id, 'id'))
      return {}
    }
    case 'restore': {
      const result = await service.restore(need(r.id, 'id'), r.path ?? '', from)
      return { written: result.written, removed: result.removed, ...(result.before !== undefined && { before: result.before }) }
    }
  }
}

function need(value: string | undefined, field: string): string {
  if (value === undefined) throw new SnapshotError('SNAPSHOT_REQUEST_INVALID', `this request needs "${field}"`)
  return value
}

function parseRequest(v: Record<string, unknown>): SnapshotRequest {
  const op = v['op']
  if (typeof op !== 'string' || !(READER_OPS.has(op as SnapshotOp) || WRITER_OPS.has(op as SnapshotOp))) {
    throw new SnapshotError('SNAPSHOT_REQUEST_INVALID', `"op" must be one of ${[...READER_OPS, ...WRITER_OPS].join(', ')}`)
  }
  const out: Record<string, unknown> = { op }
  for (const field of ['project', 'id', 'path', 'name'] as const) {
    const value = v[field]
    if (value === undefined) continue
    if (typeof value !== 'string') throw new SnapshotError('SNAPSHOT_REQUEST_INVALID', `"${field}" must be a string`)
    out[field] = value
  }
  if (typeof out['project'] !== 'string') throw new SnapshotError('SNAPSHOT_REQUEST_INVALID', 'a request needs "project" (a project document id)')
  const max = v['maxBytes']
  if (max !== undefined) {
    if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 0) throw new SnapshotError('SNAPSHOT_REQUEST_INVALID', '"maxBytes" must be a whole number of bytes')
    out['maxBytes'] = max
  }
  return out as unknown as SnapshotRequest
}

/** Reads the one frame of a stream (a CBOR map of at most `maxBytes`). */
async function readFrame(stream: Stream, maxBytes: number): Promise<Record<string, unknown>> {
  const decoder = new FrameDecoder(maxBytes)
  try {
    for await (const chunk of stream) {
      const [frame] = decoder.push(chunk)
      if (frame === undefined) continue
      const value: unknown = decode(frame)
      if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) break
      return value as Record<string, unknown>
    }
  } catch (err) {
    throw new SnapshotError('SNAPSHOT_REQUEST_INVALID', `the snapshot stream carried no well-formed frame: ${(err as Error).message}`)
  }
  throw new SnapshotError('SNAPSHOT_REQUEST_INVALID', 'the snapshot stream ended without a well-formed frame (a CBOR map)')
}

/** Sends one request to a compute peer; resolves with its answer's fields, else rejects with its code (a `SnapshotError`). */
export async function requestSnapshots(
  libp2p: Pick<Libp2p, 'dialProtocol'>, peer: PeerId | Multiaddr | Multiaddr[], request: SnapshotRequest, options: { signal?: AbortSignal } = {},
): Promise<Record<string, unknown>> {
  const signal = options.signal ?? AbortSignal.timeout(TIMEOUT_MS)
  const stream = await libp2p.dialProtocol(peer, SNAPSHOT_PROTOCOL, { signal, runOnLimitedConnection: true })
  try {
    if (!stream.send(encodeFrame(encode(request)))) await stream.onDrain({ signal })
    const reply = await readFrame(stream, MAX_ANSWER_BYTES)
    if (reply['ok'] === true) return reply
    const code = typeof reply['code'] === 'string' ? (reply['code'] as SnapshotErrorCode) : 'SNAPSHOT_FAILED'
    throw new SnapshotError(code, typeof reply['message'] === 'string' ? reply['message'].slice(0, 500) : 'refused without a reason')
  } finally {
    if (stream.status === 'open') await stream.close().catch(() => undefined)
  }
}
