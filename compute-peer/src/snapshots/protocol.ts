/**
 * `/quire/snapshot/1.0.0` (N14-N18): members list, browse and read a project's snapshots on the compute peer
 * that serves it; writers take named snapshots and restore. One request frame and one answer frame per
 * stream (varint length + CBOR map, @quire/node's frame codec): `{op, project, id?, path?, name?, maxBytes?}`
 * and `{ok: true, ...}` or `{ok: false, code, message}`.
 */
import type { DocumentId } from '@automerge/automerge-repo'
import type { Libp2p, Stream } from '@libp2p/interface'
import {
  encodeFrame, FrameDecoder, MAX_BROWSE_ENTRIES, MAX_SNAPSHOT_READ_BYTES, MAX_SNAPSHOT_REQUEST_BYTES, SNAPSHOT_PROTOCOL,
  SNAPSHOT_READER_OPS as READER_OPS, SNAPSHOT_WRITER_OPS as WRITER_OPS, type SnapshotOp, type SnapshotRequest,
} from '@quire/node'
import { decode, encode } from 'cbor-x'
import { TEMP_DIR, TEMP_PREFIX } from '../workspace/disk-io.js'
import type { ProjectSnapshots } from './service.js'
import { SnapshotError } from './types.js'

// The wire types and the client live in @quire/node (SN rules), shared with the web app.
export { MAX_BROWSE_ENTRIES, MAX_SNAPSHOT_READ_BYTES, MAX_SNAPSHOT_REQUEST_BYTES, SNAPSHOT_PROTOCOL, requestSnapshots, type SnapshotOp, type SnapshotRequest } from '@quire/node'

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
      const path = r.path ?? ''
      // The workspace's own temporary names are no project files: restores skip them, so listing them only confuses (N30).
      const entries = (await d.browse(need(r.id, 'id'), path)).filter((e) => !e.name.startsWith(TEMP_PREFIX) && !(path === '' && e.name === TEMP_DIR))
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
