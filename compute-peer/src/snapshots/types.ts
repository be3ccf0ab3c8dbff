/**
 * The snapshot driver contract (N1): what a project's snapshots are, independent of how the host makes them.
 * One shared suite (`testing/snapshot-driver-suite.ts`) proves every driver against it.
 */
import type { SnapshotInfo, SnapshotMeta, SnapshotEntry, SnapshotUsage } from '@quire/node'

// The wire types live in @quire/node (the web app speaks the protocol and may not import the compute peer).
export { SnapshotError } from '@quire/node'
export type { SnapshotErrorCode, SnapshotEntry, SnapshotInfo, SnapshotMeta, SnapshotUsage } from '@quire/node'

/** Which way snapshots are made: BTRFS read-only subvolume snapshots, or file copies (reflinks, hard links). */
export type SnapshotDriverKind = 'btrfs' | 'copy'

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
