/**
 * Paths given to the snapshot operations come from members over the network: they are checked as relative
 * project paths and resolved part by part with `lstat`, so neither a `..` nor a link (a snapshot of a
 * workspace where project code made one pointing at `/etc`) takes a read or a restore outside the project (N5).
 */
import { lstat } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { join } from 'node:path'
import { SnapshotError } from './types.js'

/** The longest path accepted, in characters. */
export const MAX_SNAPSHOT_PATH = 4096

/** The parts of a relative project path (`''` is the root: no parts); throws SNAPSHOT_PATH_INVALID. */
export function pathParts(path: string): string[] {
  if (typeof path !== 'string' || path.length > MAX_SNAPSHOT_PATH) {
    throw new SnapshotError('SNAPSHOT_PATH_INVALID', `a path must be a string of at most ${MAX_SNAPSHOT_PATH} characters`)
  }
  if (path === '') return []
  const parts = path.split('/')
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..' || part.includes('\0')) {
      throw new SnapshotError('SNAPSHOT_PATH_INVALID', `"${path}" is not a relative project path (no leading "/", empty part, "." or ".."); give it like "data/results.csv"`)
    }
  }
  return parts
}

/** Resolves `parts` under `root`, each folder on the way a real folder (never a link); returns the last one's `lstat`. */
export async function resolveInside(root: string, parts: readonly string[], shown: string): Promise<{ path: string; stat: Stats }> {
  let path = root
  for (const part of parts) {
    const folder = await lstat(path).catch(() => undefined)
    if (folder === undefined || !folder.isDirectory()) {
      throw new SnapshotError('SNAPSHOT_PATH_NOT_FOUND', `"${shown}" is not in this snapshot (a part of it is not a folder)`)
    }
    path = join(path, part)
  }
  const stat = await lstat(path).catch(() => undefined)
  if (stat === undefined) throw new SnapshotError('SNAPSHOT_PATH_NOT_FOUND', `"${shown}" is not in this snapshot`)
  return { path, stat }
}
