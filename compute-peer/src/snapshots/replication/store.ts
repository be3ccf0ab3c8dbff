/**
 * The replicas a standby holds of one project (N22): `<replica root>/<project>/<id>` is a received snapshot's
 * tree (a received read-only subvolume for format `btrfs`) and `<id>.json` its record, written last (N3's
 * commit, the records module's atomic write): a tree a cut transfer or a crash left without a record is never
 * listed and is removed by `prepare` and before each transfer.
 */
import { lstat, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from '../exec.js'
import { readRecords, removeRecord, strays, treePath, writeRecord } from '../records.js'
import type { ReplicaInfo } from './types.js'

/** The inode number of a subvolume's root on BTRFS. */
const SUBVOLUME_INODE = 256

export class ReplicaStore {
  readonly dir: string

  constructor(dir: string) {
    this.dir = dir
  }

  /** Makes the folder and removes what a cut transfer left (trees without records, temporary records). */
  async prepare(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    const { trees, files } = await strays(this.dir)
    for (const tree of trees) await dropTree(tree)
    for (const file of files) await rm(file, { force: true })
  }

  /** Every verified replica, oldest first. */
  async list(): Promise<ReplicaInfo[]> {
    const all = await readRecords(this.dir)
    return all.filter((r): r is ReplicaInfo => typeof (r as Partial<ReplicaInfo>).format === 'string')
  }

  async get(id: string): Promise<ReplicaInfo | undefined> {
    return (await this.list()).find((r) => r.id === id)
  }

  tree(id: string): string {
    return treePath(this.dir, id)
  }

  /** Lists a verified tree: after this it is a replica. */
  commit(info: ReplicaInfo): Promise<void> {
    return writeRecord(this.dir, info)
  }

  /** Unlists first, then frees the tree (a crash between leaves a stray for `prepare`). */
  async drop(id: string): Promise<void> {
    await removeRecord(this.dir, id)
    await dropTree(join(this.dir, id))
  }
}

/** Removes a tree: a (read-only, received) subvolume with `btrfs subvolume delete`, a folder with rm. */
export async function dropTree(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => undefined)
  if (stat === undefined) return
  if (stat.isDirectory() && stat.ino === SUBVOLUME_INODE) await run('btrfs', ['subvolume', 'delete', path])
  else await rm(path, { recursive: true, force: true })
}
