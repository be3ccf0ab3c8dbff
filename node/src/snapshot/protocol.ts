/**
 * `/quire/snapshot/1.0.0` (compute-peer/SPEC.md N14-N18, client rules SN in node/PROTOCOL.md): the wire types
 * both ends share. One request frame `{op, project, id?, path?, name?, maxBytes?}` and one answer frame
 * `{ok: true, ...}` or `{ok: false, code, message}` per stream (varint length + CBOR map). They live here, not
 * in the compute peer, so the web app (which may not import the compute peer) speaks the same protocol.
 */
import { CodedError } from '@quire/crdt'

export const SNAPSHOT_PROTOCOL = '/quire/snapshot/1.0.0'
/** The largest request accepted (paths and names are short). */
export const MAX_SNAPSHOT_REQUEST_BYTES = 16 * 1024
/** The largest file a read returns in one answer; larger files are refused with SNAPSHOT_FILE_TOO_LARGE. */
export const MAX_SNAPSHOT_READ_BYTES = 4 * 1024 * 1024
/** The largest answer a client accepts: a read's bytes plus room for the map around them (SN4). */
export const MAX_SNAPSHOT_ANSWER_BYTES = MAX_SNAPSHOT_READ_BYTES + 64 * 1024
/** A folder listing is cut at this many entries (`truncated: true`). */
export const MAX_BROWSE_ENTRIES = 5000

/** Stable codes of {@link SnapshotError}; log lines, the protocol and tests use them, so they never change. */
export type SnapshotErrorCode =
  /** No snapshot with that id is recorded. */
  | 'SNAPSHOT_NOT_FOUND'
  /** A path is not a relative path inside the project (empty part, `.`, `..`, absolute, NUL). */
  | 'SNAPSHOT_PATH_INVALID'
  /** The path names nothing in the snapshot (or passes through a link, which snapshots never follow). */
  | 'SNAPSHOT_PATH_NOT_FOUND'
  /** The path is a folder where a file was asked, or the reverse. */
  | 'SNAPSHOT_PATH_KIND'
  /** The file is larger than the reader asked to receive. */
  | 'SNAPSHOT_FILE_TOO_LARGE'
  /** The snapshots already use their whole budget; prune or delete some, or raise the budget. */
  | 'SNAPSHOT_QUOTA_EXCEEDED'
  /** Writing into the workspace would exceed its quota. */
  | 'WORKSPACE_FULL'
  /** A name or id is not acceptable (length, characters) or already used. */
  | 'SNAPSHOT_NAME_INVALID'
  /** The host cannot make snapshots this way (a command failed, the filesystem refused). */
  | 'SNAPSHOT_FAILED'
  /** A `/quire/snapshot/1.0.0` request is not well formed (unknown operation, missing field, too large). */
  | 'SNAPSHOT_REQUEST_INVALID'
  /** The peer may not do this: not a member (or no project served here by that id), or a reader asking to write. */
  | 'SNAPSHOT_ACCESS_DENIED'
  /** The compute peer's answer is not what the operation answers (client side, SN3, SN4). */
  | 'SNAPSHOT_ANSWER_INVALID'
  /** The compute peer could not be reached, or the stream ended or timed out before its answer (SN5). */
  | 'SNAPSHOT_UNREACHABLE'

const CODES: ReadonlySet<string> = new Set<SnapshotErrorCode>([
  'SNAPSHOT_NOT_FOUND', 'SNAPSHOT_PATH_INVALID', 'SNAPSHOT_PATH_NOT_FOUND', 'SNAPSHOT_PATH_KIND', 'SNAPSHOT_FILE_TOO_LARGE',
  'SNAPSHOT_QUOTA_EXCEEDED', 'WORKSPACE_FULL', 'SNAPSHOT_NAME_INVALID', 'SNAPSHOT_FAILED', 'SNAPSHOT_REQUEST_INVALID',
  'SNAPSHOT_ACCESS_DENIED', 'SNAPSHOT_ANSWER_INVALID', 'SNAPSHOT_UNREACHABLE',
])

/** Whether `code` is one of the stable snapshot codes. */
export function isSnapshotErrorCode(code: unknown): code is SnapshotErrorCode {
  return typeof code === 'string' && CODES.has(code)
}

/** A snapshot operation was refused or failed; the message says what to do. */
export class SnapshotError extends CodedError<SnapshotErrorCode> {}

export type SnapshotOp = 'list' | 'browse' | 'read' | 'take' | 'restore' | 'delete' | 'usage'
/** What any member may ask (N15). */
export const SNAPSHOT_READER_OPS: ReadonlySet<SnapshotOp> = new Set<SnapshotOp>(['list', 'browse', 'read', 'usage'])
/** What only writers may ask (N16). */
export const SNAPSHOT_WRITER_OPS: ReadonlySet<SnapshotOp> = new Set<SnapshotOp>(['take', 'restore', 'delete'])

/** One request frame. */
export interface SnapshotRequest {
  readonly op: SnapshotOp
  /** The project's document id. */
  readonly project: string
  readonly id?: string
  readonly path?: string
  readonly name?: string
  readonly maxBytes?: number
}

/** What a snapshot records besides the files. */
export interface SnapshotMeta {
  /** `auto` snapshots may be pruned by the retention ladder and the budget; `named` ones never automatically. */
  readonly kind: 'auto' | 'named'
  /** A writer's name for a named snapshot. */
  readonly name?: string
  /** Why an automatic snapshot was taken (`interval`, `before-restore`, ...). */
  readonly reason?: string
  /** The heads of every document of the project when the snapshot was taken, by document id. */
  readonly heads?: Readonly<Record<string, readonly string[]>>
  /** Who asked (a peer id) for a named snapshot or a restore. */
  readonly by?: string
  /** A digest of the workspace's tree (paths, sizes, times): equal digests mean nothing changed on disk. */
  readonly fingerprint?: string
}

/** A recorded snapshot. */
export interface SnapshotInfo extends SnapshotMeta {
  /** Sortable by time: `YYYYMMDDTHHMMSSmmmZ-<hex>`. */
  readonly id: string
  /** Milliseconds since the epoch. */
  readonly createdAt: number
}

/** One entry of a snapshot's folder. */
export interface SnapshotEntry {
  readonly name: string
  readonly type: 'file' | 'dir' | 'link' | 'other'
  /** Bytes, for files. */
  readonly size: number
  readonly mtimeMs: number
}

/** Space used, in bytes. */
export interface SnapshotUsage {
  /** What the live workspace holds. */
  readonly workspaceBytes: number
  /** What the snapshots hold that the live workspace does not (what deleting every snapshot would free). */
  readonly snapshotBytes: number
  /** The workspace's quota, if one is set. */
  readonly quotaBytes?: number
  /** The snapshots' budget, if one is set. */
  readonly budgetBytes?: number
}

/** What a restore changed. */
export interface SnapshotRestoreAnswer {
  /** Files (and links) written back. */
  readonly written: number
  /** Files and folders removed because the snapshot did not have them. */
  readonly removed: number
  /** The automatic snapshot taken first of the state the restore replaced (N13), when it changed since the latest. */
  readonly before?: SnapshotInfo
}

/** A folder of a snapshot, as `browse` answers it. */
export interface SnapshotFolder {
  readonly entries: readonly SnapshotEntry[]
  /** More than {@link MAX_BROWSE_ENTRIES} entries: the rest are not listed. */
  readonly truncated: boolean
}

const bad = (what: string): SnapshotError => new SnapshotError('SNAPSHOT_ANSWER_INVALID', `the compute peer's answer is not a valid ${what}; it may run another version of Quire`)
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const optString = (v: unknown): boolean => v === undefined || typeof v === 'string'

/** A snapshot's record as an answer carries it, checked (SN3). */
export function checkSnapshotInfo(v: unknown): SnapshotInfo {
  if (!isRecord(v) || typeof v['id'] !== 'string' || typeof v['createdAt'] !== 'number' || (v['kind'] !== 'auto' && v['kind'] !== 'named')
    || !optString(v['name']) || !optString(v['reason']) || !optString(v['by']) || !optString(v['fingerprint'])) throw bad('snapshot record')
  const heads = v['heads']
  if (heads !== undefined && (!isRecord(heads) || !Object.values(heads).every((h) => Array.isArray(h) && h.every((x) => typeof x === 'string')))) throw bad('snapshot record (heads)')
  return v as unknown as SnapshotInfo
}

function checkEntry(v: unknown): SnapshotEntry {
  if (!isRecord(v) || typeof v['name'] !== 'string' || !['file', 'dir', 'link', 'other'].includes(v['type'] as string)
    || !isCount(v['size']) || typeof v['mtimeMs'] !== 'number') throw bad('folder entry')
  return v as unknown as SnapshotEntry
}

function checkUsage(v: unknown): SnapshotUsage {
  if (!isRecord(v) || !isCount(v['workspaceBytes']) || !isCount(v['snapshotBytes'])
    || (v['quotaBytes'] !== undefined && !isCount(v['quotaBytes'])) || (v['budgetBytes'] !== undefined && !isCount(v['budgetBytes']))) throw bad('usage')
  return v as unknown as SnapshotUsage
}

/** The answers of each operation, checked (SN3). */
export const checkSnapshotAnswer = {
  list: (a: Record<string, unknown>): SnapshotInfo[] => {
    if (!Array.isArray(a['snapshots'])) throw bad('list')
    return a['snapshots'].map(checkSnapshotInfo)
  },
  usage: (a: Record<string, unknown>): SnapshotUsage => checkUsage(a['usage']),
  browse: (a: Record<string, unknown>): SnapshotFolder => {
    if (!Array.isArray(a['entries']) || typeof a['truncated'] !== 'boolean') throw bad('folder listing')
    return { entries: a['entries'].map(checkEntry), truncated: a['truncated'] }
  },
  read: (a: Record<string, unknown>): Uint8Array => {
    if (!(a['bytes'] instanceof Uint8Array)) throw bad('file read')
    return a['bytes']
  },
  take: (a: Record<string, unknown>): SnapshotInfo => checkSnapshotInfo(a['snapshot']),
  restore: (a: Record<string, unknown>): SnapshotRestoreAnswer => {
    if (!isCount(a['written']) || !isCount(a['removed'])) throw bad('restore answer')
    return { written: a['written'], removed: a['removed'], ...(a['before'] !== undefined && { before: checkSnapshotInfo(a['before']) }) }
  },
  delete: (): void => undefined,
}
