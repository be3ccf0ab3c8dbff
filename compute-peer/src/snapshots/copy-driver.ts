/**
 * Snapshots for hosts without BTRFS (N2): a snapshot is a copy of the workspace's tree in the store. A file
 * unchanged since the previous snapshot (same size, time and mode) is a hard link to that snapshot's copy, so
 * an unchanged file costs no space and no copying; a changed one is copied, as a reflink where the
 * filesystem has them (XFS, BTRFS), byte for byte otherwise. A file written while it is copied may be copied half written: only
 * BTRFS snapshots are instantaneous. The workspace quota is enforced on restores only (N9).
 */
import { constants } from 'node:fs'
import { chmod, copyFile, link, lstat, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { openDir, openFile, type Dir } from './fd-dirs.js'
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

/**
 * Copies the workspace into `target`, walking it through descriptors (the daemon is root; the project's code
 * may swap a folder or file for a link meanwhile, and a link is copied as a link, never read through), and
 * hard-links each file equal to the previous snapshot's (size, time, mode) instead of copying it.
 */
async function copyTree(source: string, target: string, previous: string | undefined): Promise<void> {
  const root = await openDir(source)
  if (root === undefined) throw new Error(`the workspace ${source} is not a folder`)
  try {
    await copyFolder(root, target, previous)
  } finally {
    await root.fh.close()
  }
}

async function copyFolder(source: Dir, target: string, previous: string | undefined): Promise<void> {
  await mkdir(target, { mode: 0o700 })
  for (const name of await readdir(source.path)) {
    await gone(() => copyEntry(source, name, target, previous))
  }
}

/** How much older than the previous snapshot's copy a file's last change must be for it to be linked. */
const CTIME_MARGIN_MS = 1000

async function copyEntry(source: Dir, name: string, target: string, previous: string | undefined): Promise<void> {
  const from = `${source.path}/${name}`
  const to = join(target, name)
  const before = previous === undefined ? undefined : join(previous, name)
  const stat = await lstat(from).catch(() => undefined) // gone meanwhile: not in the snapshot
  if (stat === undefined) return
  if (stat.isDirectory()) {
    const dir = await openDir(from)
    if (dir === undefined) return
    // Only through a real folder of the previous snapshot: a link there (to /etc) must not be linked from.
    const beforeDir = before !== undefined && (await lstat(before).catch(() => undefined))?.isDirectory() === true ? before : undefined
    try {
      await copyFolder(dir, to, beforeDir)
      await chmod(to, (await dir.fh.stat()).mode & 0o7777)
    } finally {
      await dir.fh.close()
    }
  } else if (stat.isSymbolicLink()) {
    await symlink(await readlink(from), to)
  } else if (stat.isFile()) {
    const fh = await openFile(from)
    if (fh === undefined) return
    try {
      const now = await fh.stat()
      const old = before === undefined ? undefined : await lstat(before).catch(() => undefined)
      // Unchanged since the previous snapshot: same size, time and mode, and last changed (ctime, which no
      // program can set back) well before that snapshot's copy was made. File times are coarse (a jiffy), so a
      // same-size write just around that copy could otherwise pass for unchanged and keep the old bytes.
      const settled = old !== undefined && now.ctimeMs < old.ctimeMs - CTIME_MARGIN_MS
      if (old?.isFile() === true && settled && old.size === now.size && sameTime(old.mtimeMs, now.mtimeMs) && old.mode === now.mode) {
        await link(before!, to)
      } else {
        // Through the descriptor: the file opened, whatever its name is now. A reflink where possible.
        await copyFile(`/proc/self/fd/${fh.fd}`, to, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL)
        await chmod(to, now.mode & 0o7777)
        await utimes(to, now.atime, now.mtime)
      }
    } finally {
      await fh.close()
    }
  }
}

/**
 * Runs `op`; an entry the project deleted or replaced while the snapshot is made (gone, a link no more, a
 * folder no more) is simply not in it, as if the snapshot had been taken a moment earlier or later.
 */
async function gone(op: () => Promise<void>): Promise<void> {
  try {
    await op()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'EINVAL' && code !== 'ENOTDIR' && code !== 'ELOOP') throw err
  }
}
