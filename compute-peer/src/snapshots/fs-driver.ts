/**
 * What both drivers share: records, ids, browsing, reading and restoring through a snapshot's tree. A driver
 * adds only how a tree is made and removed, how the workspace is prepared, and how space is measured.
 */
import { lstat, mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { checkMeta, newSnapshotId, readRecords, removeRecord, strays, treePath, writeRecord } from './records.js'
import { pathParts, resolveInside } from './paths.js'
import { restoreInto, treeBytes } from './restore.js'
import { SnapshotError, type RestoreResult, type SnapshotDriver, type SnapshotDriverKind, type SnapshotEntry, type SnapshotInfo, type SnapshotMeta, type SnapshotUsage } from './types.js'

/** Where a project's snapshots live and which workspace they are of. */
export interface SnapshotDriverInit {
  /** The live workspace directory. */
  readonly workdir: string
  /** The folder of this project's snapshots: outside the workspace, on the same filesystem. */
  readonly store: string
  /** Told about what the driver did on its own (half-made snapshots removed, quota problems). */
  readonly log?: (line: string) => void
  /** The clock (tests). */
  readonly now?: () => number
}

export abstract class FsSnapshotDriver implements SnapshotDriver {
  abstract readonly kind: SnapshotDriverKind
  readonly workdir: string
  readonly store: string
  protected readonly log: (line: string) => void
  #now: () => number
  #budget: number | undefined
  /** One operation at a time per project: a snapshot never races a restore or a delete. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor(init: SnapshotDriverInit) {
    this.workdir = init.workdir
    this.store = init.store
    this.log = init.log ?? (() => {})
    this.#now = init.now ?? Date.now
  }

  /** Makes the live workspace directory ready to be snapshotted. */
  protected abstract prepareWorkdir(): Promise<void>
  /** Makes `target` (not existing) a read-only copy of the workspace; `previous` is the latest tree, if any. */
  protected abstract capture(target: string, previous: string | undefined): Promise<void>
  /** Removes a snapshot tree (whole or half made). */
  protected abstract dropTree(target: string): Promise<void>
  protected abstract measure(trees: readonly string[]): Promise<{ workspaceBytes: number; snapshotBytes: number; quotaBytes?: number }>
  abstract setQuota(bytes: number | undefined): Promise<void>
  /** Refuses a restore that would take the workspace over its quota, before a file is written (N9). */
  async #checkRoom(bytes: number, replaced: number): Promise<void> {
    const { workspaceBytes, quotaBytes } = await this.measure([])
    if (quotaBytes === undefined) return
    const after = workspaceBytes - replaced + bytes
    if (after > quotaBytes) {
      throw new SnapshotError('WORKSPACE_FULL', `the restore would bring the workspace to ${after} bytes, over its quota of ${quotaBytes}; free space or raise the quota, then restore again`)
    }
  }

  prepare(): Promise<void> {
    return this.#serial(async () => {
      await this.prepareWorkdir()
      await mkdir(this.store, { recursive: true, mode: 0o700 })
      const { trees, files } = await strays(this.store)
      for (const tree of trees) {
        this.log(`removing a snapshot that was never finished: ${tree}`)
        await this.dropTree(tree)
      }
      for (const file of files) await rm(file, { force: true })
    })
  }

  create(meta: SnapshotMeta): Promise<SnapshotInfo> {
    return this.#serial(async () => {
      const existing = await readRecords(this.store)
      checkMeta(meta, existing)
      if (this.#budget !== undefined) {
        const { snapshotBytes } = await this.measure(existing.map((s) => join(this.store, s.id)))
        if (snapshotBytes >= this.#budget) {
          throw new SnapshotError('SNAPSHOT_QUOTA_EXCEEDED', `the snapshots hold ${snapshotBytes} bytes, their budget is ${this.#budget}; delete snapshots (or let the automatic ones be pruned) before taking another`)
        }
      }
      const createdAt = this.#now()
      const id = newSnapshotId(createdAt)
      const previous = existing.at(-1)
      const target = treePath(this.store, id)
      try {
        await this.capture(target, previous === undefined ? undefined : join(this.store, previous.id))
      } catch (err) {
        await this.dropTree(target).catch(() => undefined)
        if (err instanceof SnapshotError) throw err
        throw new SnapshotError('SNAPSHOT_FAILED', `the snapshot could not be made: ${(err as Error).message}`, { cause: err })
      }
      const info: SnapshotInfo = { ...meta, id, createdAt }
      await writeRecord(this.store, info)
      return info
    })
  }

  list(): Promise<SnapshotInfo[]> {
    return readRecords(this.store)
  }

  async get(id: string): Promise<SnapshotInfo> {
    const path = treePath(this.store, id)
    const info = (await this.list()).find((s) => s.id === id)
    if (info === undefined || (await lstat(path).catch(() => undefined)) === undefined) {
      throw new SnapshotError('SNAPSHOT_NOT_FOUND', `no snapshot ${id}; list the snapshots to see which there are`)
    }
    return info
  }

  async browse(id: string, path: string): Promise<SnapshotEntry[]> {
    const parts = pathParts(path)
    await this.get(id)
    const found = await resolveInside(join(this.store, id), parts, path)
    if (!found.stat.isDirectory()) throw new SnapshotError('SNAPSHOT_PATH_KIND', `"${path}" is a file, not a folder; read it instead`)
    const out: SnapshotEntry[] = []
    for (const name of (await readdir(found.path)).sort()) {
      const s = await lstat(join(found.path, name))
      const type = s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'link' : 'other'
      out.push({ name, type, size: s.isFile() ? s.size : 0, mtimeMs: s.mtimeMs })
    }
    return out
  }

  async read(id: string, path: string, maxBytes = Number.MAX_SAFE_INTEGER): Promise<Uint8Array> {
    const parts = pathParts(path)
    if (parts.length === 0) throw new SnapshotError('SNAPSHOT_PATH_KIND', 'the project root is a folder; browse it instead')
    await this.get(id)
    const found = await resolveInside(join(this.store, id), parts, path)
    if (!found.stat.isFile()) throw new SnapshotError('SNAPSHOT_PATH_KIND', `"${path}" is not a file (a folder or a link); browse its folder instead`)
    if (found.stat.size > maxBytes) throw new SnapshotError('SNAPSHOT_FILE_TOO_LARGE', `"${path}" has ${found.stat.size} bytes, more than the ${maxBytes} asked for`)
    return new Uint8Array(await readFile(found.path))
  }

  restore(id: string, path: string): Promise<RestoreResult> {
    return this.#serial(async () => {
      const parts = pathParts(path)
      await this.get(id)
      const found = await resolveInside(join(this.store, id), parts, path)
      const live = join(this.workdir, ...parts)
      await this.#checkRoom(await treeBytes(found.path), await treeBytes(live))
      return restoreInto(this.workdir, parts, found.path, found.stat)
    })
  }

  delete(id: string): Promise<void> {
    return this.#serial(async () => {
      await this.get(id)
      await removeRecord(this.store, id) // unlisted first: a crash now leaves a stray tree, removed by prepare
      await this.dropTree(join(this.store, id))
    })
  }

  async usage(): Promise<SnapshotUsage> {
    const trees = (await this.list()).map((s) => join(this.store, s.id))
    const m = await this.measure(trees)
    return { ...m, ...(this.#budget !== undefined && { budgetBytes: this.#budget }) }
  }

  setBudget(bytes: number | undefined): void {
    this.#budget = bytes
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(op, op)
    this.#queue = next.catch(() => undefined)
    return next
  }
}
