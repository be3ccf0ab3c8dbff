/**
 * Putting a snapshot's files back into the live workspace (N6). Each file is copied into the workspace's own
 * temporary folder (unwatched, same filesystem) and renamed into place, so the workspace runner only ever
 * reads a file whole and turns it into new document changes like any other edit. Folders on the way that
 * project code replaced by links or files are removed, never followed (N5).
 *
 * Known limit: this runs in the daemon (root). Code of the project running at the same moment could swap a
 * folder for a link between the check and the rename; closing that needs the restore to run in the
 * project's sandbox, as the workspace runner does (W31).
 */
import { randomBytes } from 'node:crypto'
import { constants, type Stats } from 'node:fs'
import { chmod, copyFile, lstat, mkdir, readdir, readlink, rename, rm, symlink, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { TEMP_DIR, TEMP_PREFIX } from '../workspace/disk-io.js'
import { SnapshotError, type RestoreResult } from './types.js'

interface Counts { written: number; removed: number }

/** Restores `source` (lstat `stat`, inside a snapshot) to `parts` under the live `workdir`. */
export async function restoreInto(workdir: string, parts: readonly string[], source: string, stat: Stats): Promise<RestoreResult> {
  const counts: Counts = { written: 0, removed: 0 }
  const temp = join(workdir, TEMP_DIR)
  try {
    await realFolder(workdir, counts)
    let live = workdir
    for (const part of parts.slice(0, -1)) {
      live = join(live, part)
      await realFolder(live, counts)
    }
    await realFolder(temp, { written: 0, removed: 0 }) // project code may have made it a link
    await restoreEntry(source, stat, parts.length === 0 ? workdir : join(live, parts[parts.length - 1]!), temp, counts, parts.length === 0)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EDQUOT' || code === 'ENOSPC') {
      throw new SnapshotError('WORKSPACE_FULL', `the workspace is full (${code}): ${counts.written} files were restored before it filled; free space or raise the quota, then restore again`, { cause: err })
    }
    throw err
  }
  return counts
}

async function restoreEntry(source: string, stat: Stats, live: string, temp: string, counts: Counts, root: boolean): Promise<void> {
  if (stat.isDirectory()) {
    await realFolder(live, counts)
    const names = new Set(await readdir(source))
    for (const name of names) {
      if (name.startsWith(TEMP_PREFIX) || (root && name === TEMP_DIR)) continue
      const from = join(source, name)
      await restoreEntry(from, await lstat(from), join(live, name), temp, counts, false)
    }
    for (const name of await readdir(live)) {
      if (names.has(name) || name.startsWith(TEMP_PREFIX) || (root && name === TEMP_DIR)) continue
      await rm(join(live, name), { recursive: true, force: true })
      counts.removed++
    }
    return
  }
  if (!stat.isFile() && !stat.isSymbolicLink()) return // sockets and FIFOs are not project files
  const now = await lstat(live).catch(() => undefined)
  if (stat.isFile() && now?.isFile() === true && now.size === stat.size && sameTime(now.mtimeMs, stat.mtimeMs) && now.mode === stat.mode) return
  const staged = join(temp, `${TEMP_PREFIX}restore-${randomBytes(6).toString('hex')}`)
  try {
    if (stat.isSymbolicLink()) {
      await symlink(await readlink(source), staged)
    } else {
      // A reflink where the filesystem has them (BTRFS: no data is copied), a copy otherwise.
      await copyFile(source, staged, constants.COPYFILE_FICLONE)
      await chmod(staged, stat.mode & 0o7777)
      await utimes(staged, stat.atime, stat.mtime)
    }
    if (now?.isDirectory() === true) await rm(live, { recursive: true, force: true })
    await rename(staged, live)
    counts.written++
  } catch (err) {
    await rm(staged, { force: true }).catch(() => undefined)
    throw err
  }
}

/** Makes `path` a real folder: a link or a file there is removed first (never followed). */
async function realFolder(path: string, counts: Counts): Promise<void> {
  const now = await lstat(path).catch(() => undefined)
  if (now?.isDirectory() === true) return
  if (now !== undefined) {
    await rm(path, { force: true })
    counts.removed++
  }
  await mkdir(path)
}

/** Bytes of the regular files under `path` (not following links), each inode once. */
export async function treeBytes(path: string, seen = new Set<string>()): Promise<number> {
  const stat = await lstat(path).catch(() => undefined)
  if (stat === undefined) return 0
  if (stat.isFile()) {
    const key = `${stat.dev}:${stat.ino}`
    if (seen.has(key)) return 0
    seen.add(key)
    return stat.size
  }
  if (!stat.isDirectory()) return 0
  let total = 0
  for (const name of await readdir(path).catch(() => [] as string[])) total += await treeBytes(join(path, name), seen)
  return total
}

/** Times equal to the millisecond copies keep (`utimes` goes through a double of seconds, so not exactly). */
export function sameTime(a: number, b: number): boolean {
  return Math.abs(a - b) < 1
}
