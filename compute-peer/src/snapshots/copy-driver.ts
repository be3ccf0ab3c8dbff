/**
 * Snapshots for hosts without BTRFS (N2): a snapshot is a copy of the workspace's tree in the store. A file
 * unchanged since the previous snapshot (same size, time and mode) is a hard link to that snapshot's copy, so
 * an unchanged file costs no space; a changed one is copied, as a reflink where the filesystem has them
 * (XFS, BTRFS), byte for byte otherwise. A file written while it is copied may be copied half written: only
 * BTRFS snapshots are instantaneous. The workspace quota is enforced on restores only (N9).
 */
import { constants } from 'node:fs'
import { chmod, copyFile, link, lstat, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { FsSnapshotDriver } from './fs-driver.js'
import { sameTime, treeBytes } from './restore.js'

export class CopySnapshotDriver extends FsSnapshotDriver {
  readonly kind = 'copy' as const
  #quota: number | undefined

  protected async prepareWorkdir(): Promise<void> {
    await mkdir(this.workdir, { recursive: true, mode: 0o700 })
  }

  protected async capture(target: string, previous: string | undefined): Promise<void> {
    await copyTree(this.workdir, target, previous)
  }

  protected async dropTree(target: string): Promise<void> {
    await rm(target, { recursive: true, force: true })
  }

  protected async measure(trees: readonly string[]): Promise<{ workspaceBytes: number; snapshotBytes: number; quotaBytes?: number }> {
    const workspaceBytes = await treeBytes(this.workdir)
    const seen = new Set<string>()
    let snapshotBytes = 0
    for (const tree of trees) snapshotBytes += await treeBytes(tree, seen)
    return { workspaceBytes, snapshotBytes, ...(this.#quota !== undefined && { quotaBytes: this.#quota }) }
  }

  async setQuota(bytes: number | undefined): Promise<void> {
    this.#quota = bytes
  }
}

async function copyTree(source: string, target: string, previous: string | undefined): Promise<void> {
  await mkdir(target, { mode: 0o700 })
  for (const name of await readdir(source)) {
    const from = join(source, name)
    const to = join(target, name)
    const stat = await lstat(from).catch(() => undefined) // gone meanwhile: not in the snapshot
    if (stat === undefined) continue
    const before = previous === undefined ? undefined : join(previous, name)
    if (stat.isDirectory()) {
      await copyTree(from, to, before)
      await chmod(to, stat.mode & 0o7777)
    } else if (stat.isSymbolicLink()) {
      await gone(async () => symlink(await readlink(from), to))
    } else if (stat.isFile()) {
      const old = before === undefined ? undefined : await lstat(before).catch(() => undefined)
      if (old?.isFile() === true && old.size === stat.size && sameTime(old.mtimeMs, stat.mtimeMs) && old.mode === stat.mode) {
        await link(before!, to)
      } else {
        await gone(async () => {
          await copyFile(from, to, constants.COPYFILE_FICLONE)
          await chmod(to, stat.mode & 0o7777)
          await utimes(to, stat.atime, stat.mtime)
        })
      }
    }
  }
}

/** Runs `op`; a file deleted by the project while the snapshot is made is simply not in it. */
async function gone(op: () => Promise<void>): Promise<void> {
  try {
    await op()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}
