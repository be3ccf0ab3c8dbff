/**
 * Snapshot records: `<store>/<id>` holds the snapshot's tree and `<store>/<id>.json` its metadata. The
 * metadata file is written last (temporary file, fsync, rename), so it is the commit: a tree without one is a
 * snapshot a crash (`kill -9`) cut short, never listed and removed on the next `prepare` (N3).
 */
import { randomBytes } from 'node:crypto'
import { open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { SnapshotError, type SnapshotInfo, type SnapshotMeta } from './types.js'

const ID = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/
const META = '.json'
const TEMP = '.tmp'

/** A new id, sortable by time: `20261207T201133123Z-a1b2c3`. */
export function newSnapshotId(now: number): string {
  return `${new Date(now).toISOString().replace(/[-:.]/g, '')}-${randomBytes(3).toString('hex')}`
}

/** Whether `id` has the shape of a snapshot id (so it is safe as a file name). */
export function isSnapshotId(id: unknown): id is string {
  return typeof id === 'string' && ID.test(id)
}

export function treePath(store: string, id: string): string {
  if (!isSnapshotId(id)) throw new SnapshotError('SNAPSHOT_NOT_FOUND', `"${String(id).slice(0, 80)}" is not a snapshot id; list the snapshots to get one`)
  return join(store, id)
}

/** Records a whole snapshot: after this it is listed. */
export async function writeRecord(store: string, info: SnapshotInfo): Promise<void> {
  const file = join(store, info.id + META)
  const temp = file + TEMP
  const handle = await open(temp, 'w', 0o600)
  try {
    await handle.writeFile(JSON.stringify(info))
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temp, file)
}

export async function removeRecord(store: string, id: string): Promise<void> {
  await rm(join(store, id + META), { force: true })
}

/** Every recorded snapshot, oldest first; unreadable records are skipped. */
export async function readRecords(store: string): Promise<SnapshotInfo[]> {
  const names = await readdir(store).catch(() => [] as string[])
  const out: SnapshotInfo[] = []
  for (const name of names.sort()) {
    if (!name.endsWith(META)) continue
    const id = name.slice(0, -META.length)
    if (!isSnapshotId(id)) continue
    const info = parseRecord(await readFile(join(store, name), 'utf8').catch(() => ''), id)
    if (info !== undefined) out.push(info)
  }
  return out
}

/** Trees with no record (cut short) and leftover temporary records: what `prepare` removes. */
export async function strays(store: string): Promise<{ trees: string[]; files: string[] }> {
  const names = new Set(await readdir(store).catch(() => [] as string[]))
  const trees = [...names].filter((n) => isSnapshotId(n) && !names.has(n + META)).map((n) => join(store, n))
  const files = [...names].filter((n) => n.endsWith(META + TEMP)).map((n) => join(store, n))
  return { trees, files }
}

function parseRecord(text: string, id: string): SnapshotInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<SnapshotInfo>
    if (v.id !== id || typeof v.createdAt !== 'number' || (v.kind !== 'auto' && v.kind !== 'named')) return undefined
    return v as SnapshotInfo
  } catch {
    return undefined
  }
}

/** Checks a snapshot's metadata before it is taken. */
export function checkMeta(meta: SnapshotMeta, existing: readonly SnapshotInfo[]): void {
  if (meta.kind !== 'named') return
  const name = meta.name
  if (typeof name !== 'string' || name.trim() === '' || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new SnapshotError('SNAPSHOT_NAME_INVALID', 'a named snapshot needs a name of 1 to 100 printable characters')
  }
  if (existing.some((s) => s.kind === 'named' && s.name === name)) {
    throw new SnapshotError('SNAPSHOT_NAME_INVALID', `a snapshot is already named "${name}"; choose another name`)
  }
}
