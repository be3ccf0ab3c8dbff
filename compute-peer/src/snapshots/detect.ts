/**
 * Which driver a data directory gets (N1): `btrfs` when it is on BTRFS and the compute peer is root (making
 * and deleting subvolumes and setting qgroups need it), `copy` otherwise, with the reason said once at start.
 */
import { statfs } from 'node:fs/promises'
import { BtrfsSnapshotDriver } from './btrfs-driver.js'
import { CopySnapshotDriver } from './copy-driver.js'
import type { SnapshotDriverInit } from './fs-driver.js'
import type { SnapshotDriver, SnapshotDriverKind } from './types.js'

/** `f_type` of a BTRFS filesystem (linux/magic.h). */
const BTRFS_SUPER_MAGIC = 0x9123683e

export interface DriverChoice {
  readonly kind: SnapshotDriverKind
  /** Why, in words for the log. */
  readonly reason: string
}

/** Chooses the driver for snapshots of workspaces under `dir` (an existing folder). */
export async function detectSnapshotDriver(dir: string): Promise<DriverChoice> {
  const fs = await statfs(dir)
  if (fs.type !== BTRFS_SUPER_MAGIC) return { kind: 'copy', reason: `${dir} is not on BTRFS: snapshots are file copies (hard links for unchanged files)` }
  if (process.geteuid?.() !== 0) return { kind: 'copy', reason: `${dir} is on BTRFS but the compute peer is not root (subvolumes and qgroups need it): snapshots are file copies` }
  return { kind: 'btrfs', reason: `${dir} is on BTRFS: workspaces are subvolumes, snapshots read-only subvolume snapshots` }
}

export function createSnapshotDriver(kind: SnapshotDriverKind, init: SnapshotDriverInit): SnapshotDriver {
  return kind === 'btrfs' ? new BtrfsSnapshotDriver(init) : new CopySnapshotDriver(init)
}
