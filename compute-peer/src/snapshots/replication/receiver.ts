/**
 * The receiving side of `/quire/snapshot-replica/1.0.0` (N20-N26): a standby compute peer (it holds the
 * project's `compute` grant and does not serve the project) takes the snapshots the serving compute peer
 * pushes, verifies each before listing it, and keeps it with its record (the documents' heads included).
 *
 * One stream per request. `hello`: `{op: 'hello', project}` is answered `{ok, formats, have}` (the formats
 * this peer takes, the replicas it holds). `receive`: `{op: 'receive', project, format, record, parent?,
 * shape}` is answered `{ok: true}` (send) or `{ok: true, already: true}` (held already), then data frames
 * and `{end: true, bytes, sha256}` follow and the answer is `{ok: true, bytes}` or a refusal with its code.
 */
import { join } from 'node:path'
import type { Libp2p, Stream } from '@libp2p/interface'
import { prunedByLadder, DEFAULT_LADDER, type RetentionLadder } from '../ladder.js'
import { isSnapshotId } from '../records.js'
import type { SnapshotDriverKind, SnapshotInfo } from '../types.js'
import { receiveBtrfs } from './btrfs-format.js'
import { receiveFiles } from './files-format.js'
import { FrameReader, refusal, sendFrame, type Frame } from './frames.js'
import { shapeDigest } from './shape.js'
import { dropTree, ReplicaStore } from './store.js'
import { ReplicaError, type ReplicaAccess, type ReplicaFormat, type ReplicaInfo } from './types.js'

export const REPLICA_PROTOCOL = '/quire/snapshot-replica/1.0.0'

export interface ReplicaServerInit {
  readonly libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'peerId'>
  readonly access: ReplicaAccess
  /** Replicas of project P are kept in `<root>/<P>` (on the data directory's filesystem). */
  readonly root: string
  /** This peer's snapshot driver: a `btrfs` peer takes both formats, a `copy` peer only `files`. */
  readonly kind: SnapshotDriverKind
  /** Replicas are pruned by this ladder after each one received (named ones never). Default: the snapshots' default. */
  readonly ladder?: RetentionLadder
  /** Told of each replica kept (the daemon fetches the documents its heads name, so it holds them too). */
  readonly onReceived?: (project: string, info: ReplicaInfo) => void
  readonly log?: (line: string) => void
  readonly now?: () => number
}

interface Hello { op: 'hello'; project: string }
interface Receive { op: 'receive'; project: string; format: ReplicaFormat; record: SnapshotInfo; parent?: string; shape: string }

/** Answers replica pushes until stopped. */
export async function serveReplicas(init: ReplicaServerInit): Promise<{ stop(): Promise<void> }> {
  const self = init.libp2p.peerId.toString()
  const locks = new Map<string, Promise<unknown>>()
  const locked = <T>(project: string, op: () => Promise<T>): Promise<T> => {
    const run = (locks.get(project) ?? Promise.resolve()).then(op, op)
    locks.set(project, run.catch(() => undefined))
    return run
  }
  await init.libp2p.handle(REPLICA_PROTOCOL, async (stream, connection) => {
    const from = connection.remotePeer.toString()
    const reader = new FrameReader(stream)
    try {
      const request = parseRequest(await reader.next())
      // Both ends hold the project's compute grant (the backup role), and this peer does not serve it (N20).
      if (init.access.serving(request.project) || !(await init.access.isComputePeer(request.project, self)) || !(await init.access.isComputePeer(request.project, from))) {
        throw new ReplicaError('REPLICA_ACCESS_DENIED', `this peer takes no replicas of project ${request.project} from you: both peers need the project's compute grant, and the receiver must not be serving it`)
      }
      const store = new ReplicaStore(join(init.root, request.project))
      if (request.op === 'hello') {
        const have = await locked(request.project, async () => { await store.prepare(); return store.list() })
        await sendFrame(stream, { ok: true, formats: init.kind === 'btrfs' ? ['btrfs', 'files'] : ['files'], have: have.map((r) => ({ id: r.id, format: r.format })) })
      } else {
        await locked(request.project, () => receive(init, store, request, reader, stream, from))
      }
      await stream.close()
    } catch (err) {
      if (!(err instanceof ReplicaError)) init.log?.(`replica from ${from} failed: ${(err as Error).message}`)
      try {
        await sendFrame(stream, refusal(err))
        await stream.close()
      } catch {
        // the answer could not go: the reset below ends the stream anyway
      }
      // A sender still sending (or waiting for a drain this paused stream will not give) is stopped.
      stream.abort(new ReplicaError('REPLICA_FAILED', 'refused'))
    }
  }, { runOnLimitedConnection: true, maxInboundStreams: 4 })
  return { stop: () => init.libp2p.unhandle(REPLICA_PROTOCOL) }
}

async function receive(init: ReplicaServerInit, store: ReplicaStore, r: Receive, reader: FrameReader, stream: Stream, from: string): Promise<void> {
  await store.prepare() // a transfer cut earlier left a tree without a record: gone before this one
  const held = await store.list()
  if (held.some((s) => s.id === r.record.id)) {
    await sendFrame(stream, { ok: true, already: true })
    return
  }
  if (r.format === 'btrfs' && init.kind !== 'btrfs') throw new ReplicaError('REPLICA_FORMAT_UNSUPPORTED', 'this peer\'s data directory is not on BTRFS: send the snapshot as files')
  let parent: string | undefined
  if (r.parent !== undefined) {
    const p = held.find((s) => s.id === r.parent)
    if (p === undefined || (r.format === 'btrfs' && p.format !== 'btrfs')) {
      throw new ReplicaError('REPLICA_PARENT_MISSING', `this peer holds no replica ${r.parent}${r.format === 'btrfs' ? ' received as a btrfs stream' : ''}; send the snapshot against another parent, or whole`)
    }
    parent = store.tree(p.id)
  }
  await sendFrame(stream, { ok: true })
  reader.startDigest()
  const target = store.tree(r.record.id)
  try {
    let failed: string | undefined
    let end: Frame
    if (r.format === 'files') {
      end = await receiveFiles(() => reader.next(), target, parent)
    } else {
      const got = await receiveBtrfs(() => reader.next(), store.dir)
      end = got.end
      if (!got.ok) failed = got.detail
    }
    const seen = reader.digestBeforeLast
    if (end['end'] !== true || end['bytes'] !== seen.bytes || end['sha256'] !== seen.sha256) {
      throw new ReplicaError('REPLICA_CORRUPT', `the transfer does not match its end frame (${seen.bytes} bytes received, ${String(end['bytes'])} sent): damaged or cut on the way; it is not kept`)
    }
    if (failed !== undefined) throw new ReplicaError('REPLICA_FAILED', `btrfs receive refused the stream: ${failed}`)
    const shape = await shapeDigest(target).catch(() => undefined)
    if (shape !== r.shape) throw new ReplicaError('REPLICA_CORRUPT', 'the received tree does not have the shape the sender declared (paths, types, sizes, permissions); it is not kept')
    const info: ReplicaInfo = { ...r.record, replicatedFrom: from, receivedAt: (init.now ?? Date.now)(), format: r.format }
    await store.commit(info)
    for (const old of prunedByLadder(await store.list(), init.ladder ?? DEFAULT_LADDER, (init.now ?? Date.now)())) await store.drop(old.id)
    await sendFrame(stream, { ok: true, bytes: seen.bytes })
    init.onReceived?.(r.project, info)
  } catch (err) {
    await dropTree(target).catch(() => undefined)
    throw err
  }
}

function parseRequest(v: Frame | undefined): Hello | Receive {
  if (v === undefined) throw new ReplicaError('REPLICA_REQUEST_INVALID', 'the stream ended before a request')
  const project = v['project']
  if (typeof project !== 'string' || project.length === 0 || project.length > 100 || !/^[A-Za-z0-9]+$/.test(project)) {
    throw new ReplicaError('REPLICA_REQUEST_INVALID', 'a request needs "project" (a project document id)')
  }
  if (v['op'] === 'hello') return { op: 'hello', project }
  if (v['op'] !== 'receive') throw new ReplicaError('REPLICA_REQUEST_INVALID', '"op" must be hello or receive')
  const format = v['format']
  if (format !== 'btrfs' && format !== 'files') throw new ReplicaError('REPLICA_REQUEST_INVALID', '"format" must be btrfs or files')
  const parent = v['parent']
  if (parent !== undefined && !isSnapshotId(parent)) throw new ReplicaError('REPLICA_REQUEST_INVALID', '"parent" must be a snapshot id')
  const shape = v['shape']
  if (typeof shape !== 'string' || !/^[0-9a-f]{64}$/.test(shape)) throw new ReplicaError('REPLICA_REQUEST_INVALID', '"shape" must be the tree\'s SHA-256 (hex)')
  return { op: 'receive', project, format, record: checkRecord(v['record']), ...(parent !== undefined && { parent }), shape }
}

/** The sender's record, its known fields only. */
function checkRecord(v: unknown): SnapshotInfo {
  const r = v as Partial<SnapshotInfo> | undefined
  if (typeof r !== 'object' || r === null || !isSnapshotId(r.id) || typeof r.createdAt !== 'number' || (r.kind !== 'auto' && r.kind !== 'named')) {
    throw new ReplicaError('REPLICA_REQUEST_INVALID', '"record" must be a snapshot record (id, createdAt, kind)')
  }
  const heads = r.heads
  if (heads !== undefined && (typeof heads !== 'object' || heads === null || !Object.values(heads).every((h) => Array.isArray(h) && h.every((x) => typeof x === 'string')))) {
    throw new ReplicaError('REPLICA_REQUEST_INVALID', '"record.heads" must map document ids to lists of heads')
  }
  const text = (x: unknown): x is string => typeof x === 'string' && x.length <= 200
  return {
    id: r.id, createdAt: r.createdAt, kind: r.kind,
    ...(text(r.name) && { name: r.name }), ...(text(r.reason) && { reason: r.reason }), ...(text(r.by) && { by: r.by }),
    ...(text(r.fingerprint) && { fingerprint: r.fingerprint }), ...(heads !== undefined && { heads }),
  }
}
