/**
 * The snapshot driver contract (N1): what a project's snapshots are, independent of how the host makes them.
 * One shared suite (`testing/snapshot-driver-suite.ts`) proves every driver against it.
 */
import { CodedError } from '@quire/crdt'

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

/** A snapshot operation was refused or failed; the message says what to do. */
export class SnapshotError extends CodedError<SnapshotErrorCode> {}

/** Which way snapshots are made: BTRFS read-only subvolume snapshots, or file copies (reflinks, hard links). */
export type SnapshotDriverKind = 'btrfs' | 'copy'

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

/** What a restore changed in the live workspace. */
export interface RestoreResult {
  /** Files (and links) written back. */
  readonly written: number
  /** Files and folders removed because the snapshot did not have them (folder and whole-project restores). */
  readonly removed: number
}

/**
 * The snapshots of one project's workspace directory. Every driver keeps the same promises: a snapshot is
 * listed only once it is whole (N3), restores write each file atomically (N6), paths never leave the
 * project and never follow links (N5).
 */
export interface SnapshotDriver {
  readonly kind: SnapshotDriverKind
  /** The live workspace directory. */
  readonly workdir: string
  /** Makes the workspace directory (a subvolume on BTRFS) and the snapshot store; removes half-made snapshots. */
  prepare(): Promise<void>
  /** Takes a read-only snapshot of the workspace now. Refused with SNAPSHOT_QUOTA_EXCEEDED over budget. */
  create(meta: SnapshotMeta): Promise<SnapshotInfo>
  /** Every whole snapshot, oldest first. */
  list(): Promise<SnapshotInfo[]>
  get(id: string): Promise<SnapshotInfo>
  /** The entries of a folder of a snapshot (`''` is the project's root), sorted by name. */
  browse(id: string, path: string): Promise<SnapshotEntry[]>
  /** A file of a snapshot, refused with SNAPSHOT_FILE_TOO_LARGE above `maxBytes`. */
  read(id: string, path: string, maxBytes?: number): Promise<Uint8Array>
  /** Puts a file, a folder or (path `''`) the whole project back as it was in the snapshot. */
  restore(id: string, path: string): Promise<RestoreResult>
  delete(id: string): Promise<void>
  usage(): Promise<SnapshotUsage>
  /** Limits the live workspace (undefined: no limit). BTRFS enforces it on every write; `copy` only on restores. */
  setQuota(bytes: number | undefined): Promise<void>
  /** Limits what snapshots may hold (undefined: no limit); `create` is refused beyond it. */
  setBudget(bytes: number | undefined): void
}
