/**
 * Snapshots for hosts without BTRFS (N2): a snapshot is a copy of the workspace's tree in the store. A file
 * unchanged since the previous snapshot (same size, time and mode) is a hard link to that snapshot's copy, so
 * an unchanged file costs no space; a changed one is copied (`cp -a --reflink=auto`), as a reflink where the
 * filesystem has them (XFS, BTRFS), byte for byte otherwise. A file written while it is copied may be copied half written: only
 * BTRFS snapshots are instantaneous. The workspace quota is enforced on restores only (N9).
 */
import { chmod, link, lstat, mkdir, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from './exec.js'
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
 * Copies the workspace with `cp -a` (it walks the tree without following links, so a folder project code
 * swaps for a link while the copy runs is copied as that link, never read through: the daemon runs as root),
 * then links each file equal to the previous snapshot's (size, time, mode) to that copy, in the store only.
 */
async function copyTree(source: string, target: string, previous: string | undefined): Promise<void> {
  await run('cp', ['-a', '--reflink=auto', '--no-target-directory', source, target]).catch(async (err: Error) => {
    // cp reports files deleted while it copied (exit 1) yet copies the rest; anything else is a failure.
    if ((await lstat(target).catch(() => undefined)) === undefined || !/No such file or directory/.test(err.message)) throw err
  })
  await chmod(target, 0o700)
  if (previous !== undefined) await linkUnchanged(target, previous)
}

async function linkUnchanged(tree: string, previous: string): Promise<void> {
  for (const name of await readdir(tree)) {
    const here = join(tree, name)
    const before = join(previous, name)
    const [stat, old] = await Promise.all([lstat(here), lstat(before).catch(() => undefined)])
    if (old === undefined) continue
    if (stat.isDirectory() && old.isDirectory()) {
      await linkUnchanged(here, before)
    } else if (stat.isFile() && old.isFile() && old.ino !== stat.ino && old.size === stat.size && sameTime(old.mtimeMs, stat.mtimeMs) && old.mode === stat.mode) {
      const temp = `${here}.quire-link`
      await link(before, temp)
      await rename(temp, here)
    }
  }
}
