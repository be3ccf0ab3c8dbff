/**
 * The sending side of `/quire/snapshot-replica/1.0.0` (N21, N24-N26): the compute peer serving a project
 * pushes its snapshots to a standby. It asks what the standby holds (`hello`), then sends, oldest first, each
 * snapshot newer than the newest one the standby holds (only the newest when it holds none), each against the
 * newest snapshot both hold (the parent): as a `btrfs send -p` stream when both are on BTRFS, else as files.
 */
import { join } from 'node:path'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createHash } from 'node:crypto'
import { encode } from 'cbor-x'
import type { SnapshotDriverKind, SnapshotInfo } from '../types.js'
import { sendBtrfs } from './btrfs-format.js'
import { HashCache, sendFiles } from './files-format.js'
import { expectOk, FrameReader, sendFrame, type Frame } from './frames.js'
import { REPLICA_PROTOCOL } from './receiver.js'
import { shapeDigest } from './shape.js'
import { ReplicaError, type ReplicaAccess, type ReplicaFormat, type TransferStats } from './types.js'

/** The snapshots being pushed: a driver's store of whole snapshots (`<store>/<id>`, listed by `list`). */
export interface ReplicaSource {
  readonly kind: SnapshotDriverKind
  readonly store: string
  list(): Promise<SnapshotInfo[]>
}

export interface PushInit {
  readonly libp2p: Pick<Libp2p, 'dial'>
  /** The standby's peer id (its grant is checked before anything is sent). */
  readonly to: string
  /** How to dial it: its peer id (known addresses) or addresses; the connection must reach `to`. */
  readonly dial: PeerId | Multiaddr | Multiaddr[]
  readonly project: string
  readonly source: ReplicaSource
  readonly access: Pick<ReplicaAccess, 'isComputePeer'>
  /** Keeps file digests across pushes (format `files`). */
  readonly hashes?: HashCache
  readonly signal?: AbortSignal
  /** Tests only: damages (returns another frame) or cuts (returns null) a transfer's n-th frame after its digest. */
  readonly tamper?: (frame: Frame, n: number) => Frame | null
}

const TIMEOUT_MS = 10 * 60_000

/** Pushes what the standby lacks; resolves with one entry per snapshot offered, or rejects with a ReplicaError. */
export async function pushSnapshots(init: PushInit): Promise<TransferStats[]> {
  if (!(await init.access.isComputePeer(init.project, init.to))) {
    throw new ReplicaError('REPLICA_ACCESS_DENIED', `${init.to} does not hold the compute grant of project ${init.project}: snapshots are replicated only to the project's compute peers`)
  }
  const signal = init.signal ?? AbortSignal.timeout(TIMEOUT_MS)
  const hello = await exchange(init, signal, async (stream, reader) => {
    await sendFrame(stream, { op: 'hello', project: init.project }, signal)
    return expectOk(await reader.next(), 'hello')
  })
  const formats = Array.isArray(hello['formats']) ? hello['formats'] : []
  const format: ReplicaFormat = init.source.kind === 'btrfs' && formats.includes('btrfs') ? 'btrfs' : 'files'
  const have = new Map<string, string>()
  for (const h of Array.isArray(hello['have']) ? hello['have'] as Array<{ id?: unknown; format?: unknown }> : []) {
    if (typeof h.id === 'string' && typeof h.format === 'string') have.set(h.id, h.format)
  }
  const mine = await init.source.list()
  const usable = (id: string): boolean => have.has(id) && (format === 'files' || have.get(id) === 'btrfs')
  const newestHeld = [...mine].reverse().find((s) => have.has(s.id))
  const todo = newestHeld === undefined ? mine.slice(-1) : mine.filter((s) => s.id > newestHeld.id)
  const out: TransferStats[] = []
  for (const snapshot of todo) {
    const parent = [...mine].reverse().find((s) => s.id < snapshot.id && usable(s.id))
    out.push(await sendOne(init, signal, snapshot, parent?.id, format))
    have.set(snapshot.id, format)
  }
  return out
}

async function sendOne(init: PushInit, signal: AbortSignal, snapshot: SnapshotInfo, parent: string | undefined, format: ReplicaFormat): Promise<TransferStats> {
  const tree = join(init.source.store, snapshot.id)
  const parentTree = parent === undefined ? undefined : join(init.source.store, parent)
  const base = { id: snapshot.id, ...(parent !== undefined && { parent }), format }
  return exchange(init, signal, async (stream, reader) => {
    await sendFrame(stream, { op: 'receive', project: init.project, format, record: snapshot, ...(parent !== undefined && { parent }), shape: await shapeDigest(tree) }, signal)
    const ready = expectOk(await reader.next(), 'the snapshot')
    if (ready['already'] === true) return { ...base, bytes: 0, already: true }
    const hash = createHash('sha256')
    let bytes = 0
    let n = 0
    let cut = false
    const send = async (frame: Frame): Promise<void> => {
      if (cut) return
      // The receiver answers early when it refuses: stop sending and read why.
      if (reader.ready) throw new EarlyAnswer()
      const body = encode(frame)
      hash.update(body)
      bytes += body.byteLength
      const sent = init.tamper === undefined ? frame : init.tamper(frame, n)
      n++
      if (sent === null) {
        cut = true
        return
      }
      await sendFrame(stream, sent, signal)
    }
    let files: number | undefined
    try {
      if (format === 'files') files = await sendFiles(tree, parentTree, init.hashes ?? new HashCache(), send)
      else await sendBtrfs(tree, parentTree, send)
      if (cut) await stream.close() // a cut transfer: the end frame never comes
      else await sendFrame(stream, { end: true, bytes, sha256: hash.digest('hex') }, signal)
    } catch (err) {
      if (!(err instanceof EarlyAnswer) && !reader.ready) throw err
    }
    const done = expectOk(await reader.next(), 'the snapshot')
    return { ...base, bytes: typeof done['bytes'] === 'number' ? done['bytes'] : bytes, ...(files !== undefined && { files }) }
  })
}

class EarlyAnswer extends Error {}

/** One stream to the standby (its identity checked on the connection), closed afterwards whatever happens. */
async function exchange<T>(init: PushInit, signal: AbortSignal, op: (stream: Stream, reader: FrameReader) => Promise<T>): Promise<T> {
  const connection = await init.libp2p.dial(init.dial, { signal })
  if (connection.remotePeer.toString() !== init.to) {
    throw new ReplicaError('REPLICA_ACCESS_DENIED', `dialled ${init.to} but reached ${connection.remotePeer.toString()}`)
  }
  const stream = await connection.newStream(REPLICA_PROTOCOL, { signal, runOnLimitedConnection: true })
  const reader = new FrameReader(stream)
  try {
    return await op(stream, reader)
  } catch (err) {
    stream.abort(err as Error)
    throw err
  } finally {
    if (stream.status === 'open') await stream.close().catch(() => undefined)
  }
}
