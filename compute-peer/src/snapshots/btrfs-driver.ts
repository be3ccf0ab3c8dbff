/**
 * BTRFS snapshots (N2): the workspace is a subvolume, a snapshot is a read-only subvolume snapshot of it in
 * the store (instantaneous and consistent whatever the project's size, sharing every unchanged block), and
 * the workspace's quota is a qgroup limit that every write meets (EDQUOT, reported as WORKSPACE_FULL) (N9).
 * Space is measured from qgroups: the snapshots' usage is the sum of their exclusive bytes.
 */
import { chmod, lstat, mkdir, readdir, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { run } from './exec.js'
import { FsSnapshotDriver } from './fs-driver.js'
import { treeBytes } from './restore.js'

/** The inode number of a subvolume's root on BTRFS. */
const SUBVOLUME_INODE = 256

export class BtrfsSnapshotDriver extends FsSnapshotDriver {
  readonly kind = 'btrfs' as const
  #quotas: boolean | undefined

  protected async prepareWorkdir(): Promise<void> {
    await prepareSubvolume(this.workdir, this.log)
  }

  protected async capture(target: string): Promise<void> {
    await run('btrfs', ['subvolume', 'snapshot', '-r', this.workdir, target])
  }

  protected async dropTree(target: string): Promise<void> {
    const stat = await lstat(target).catch(() => undefined)
    if (stat === undefined) return
    if (stat.isDirectory() && stat.ino === SUBVOLUME_INODE) {
      const id = await subvolumeId(target).catch(() => undefined)
      await run('btrfs', ['subvolume', 'delete', target])
      // Its qgroup would stay behind (counted in listings) on kernels that do not drop it themselves.
      if (id !== undefined && (await this.#quotasOn())) await run('btrfs', ['qgroup', 'destroy', `0/${id}`, dirname(target)]).catch(() => undefined)
    } else {
      await rm(target, { recursive: true, force: true })
    }
  }

  protected async measure(trees: readonly string[]): Promise<{ workspaceBytes: number; snapshotBytes: number; quotaBytes?: number }> {
    if (!(await this.#quotasOn())) {
      const seen = new Set<string>()
      let snapshotBytes = 0
      for (const tree of trees) snapshotBytes += await treeBytes(tree, seen)
      return { workspaceBytes: await treeBytes(this.workdir), snapshotBytes }
    }
    await run('btrfs', ['filesystem', 'sync', this.workdir]) // qgroups are counted at transaction commits
    const groups = await qgroups(this.workdir)
    const own = groups.get(await subvolumeId(this.workdir))
    let snapshotBytes = 0
    for (const tree of trees) snapshotBytes += groups.get(await subvolumeId(tree))?.exclusive ?? 0
    return { workspaceBytes: own?.referenced ?? 0, snapshotBytes, ...(own?.limit !== undefined && { quotaBytes: own.limit }) }
  }

  async setQuota(bytes: number | undefined): Promise<void> {
    if (bytes !== undefined && !(await this.#quotasOn())) {
      await run('btrfs', ['quota', 'enable', this.workdir])
      this.#quotas = true
    }
    if (bytes === undefined && !(await this.#quotasOn())) return
    await run('btrfs', ['qgroup', 'limit', bytes === undefined ? 'none' : String(bytes), this.workdir])
  }

  /** Whether qgroups are on for the filesystem (turned on by the first quota set; measuring needs them). */
  async #quotasOn(): Promise<boolean> {
    this.#quotas ??= await run('btrfs', ['qgroup', 'show', this.workdir]).then(() => true, () => false)
    return this.#quotas
  }
}

/**
 * Makes `dir` a BTRFS subvolume: created as one when missing; an existing plain folder (a project served
 * before the data directory moved to BTRFS) is copied into a new subvolume with reflinks and swapped in.
 */
export async function prepareSubvolume(dir: string, log: (line: string) => void = () => {}): Promise<void> {
  await mkdir(dirname(dir), { recursive: true, mode: 0o700 })
  const fresh = `${dir}.quire-new`
  const old = `${dir}.quire-old`
  // A conversion cut short: the old folder is still the truth.
  if ((await lstat(dir).catch(() => undefined)) === undefined && (await lstat(old).catch(() => undefined)) !== undefined) await rename(old, dir)
  await removeSubvolume(fresh)
  await rm(old, { recursive: true, force: true })
  const stat = await lstat(dir).catch(() => undefined)
  if (stat?.isDirectory() === true && stat.ino === SUBVOLUME_INODE) return
  if (stat === undefined || (await readdir(dir)).length === 0) {
    if (stat !== undefined) await rm(dir, { recursive: true })
    await run('btrfs', ['subvolume', 'create', dir])
    await chmod(dir, 0o700) // as a workspace made by mkdir: the sandbox setup opens it to the sandbox user
    return
  }
  log(`moving the workspace ${dir} into a BTRFS subvolume (reflink copy)`)
  await run('btrfs', ['subvolume', 'create', fresh])
  await run('cp', ['-a', '--reflink=auto', `${dir}/.`, `${fresh}/`])
  await rename(dir, old)
  await rename(fresh, dir)
  await rm(old, { recursive: true, force: true })
}

async function removeSubvolume(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => undefined)
  if (stat === undefined) return
  if (stat.ino === SUBVOLUME_INODE) await run('btrfs', ['subvolume', 'delete', path])
  else await rm(path, { recursive: true, force: true })
}

async function subvolumeId(path: string): Promise<string> {
  return (await run('btrfs', ['inspect-internal', 'rootid', path])).stdout.trim()
}

interface Qgroup { referenced: number; exclusive: number; limit?: number }

/** Level-0 qgroups by subvolume id, with the referenced limit where one is set. */
async function qgroups(path: string): Promise<Map<string, Qgroup>> {
  const { stdout } = await run('btrfs', ['qgroup', 'show', '--raw', '-r', path])
  const out = new Map<string, Qgroup>()
  for (const line of stdout.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f[0] === undefined || !f[0].startsWith('0/')) continue
    const limit = Number(f[3])
    out.set(f[0].slice(2), { referenced: Number(f[1]), exclusive: Number(f[2]), ...(Number.isFinite(limit) && { limit }) })
  }
  return out
}
