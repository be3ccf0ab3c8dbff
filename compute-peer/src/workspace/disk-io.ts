/**
 * The workspace's own file operations: writes that are never seen half done (temporary file in the same
 * directory, then rename) and reads that never follow a link or open a FIFO (which would block forever).
 */
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, constants, fstatSync, lstatSync, openSync, promises as fs, readFileSync, renameSync, type BigIntStats } from 'node:fs'
import { dirname, join } from 'node:path'

/** Prefix of the workspace's temporary files; the disk side ignores them. */
export const TEMP_PREFIX = '.quire-tmp-'

/**
 * The directory (inside the workspace, so renames stay on one file system) where the workspace's own writes
 * are prepared. The watcher does not watch it: a file created and renamed within the watched tree at once
 * sometimes lost the events of that path for good in @parcel/watcher 2.6 (a later delete of it was never
 * reported), while a file moved in from an unwatched directory is reported as a plain create.
 */
export const TEMP_DIR = '.quire-tmp'

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Writes `bytes` to `file` atomically: a reader sees the old content or the new, never part of it. With
 * `unchanged`, it is asked once the temporary file is written, right before the rename, whether the file is
 * still as expected; if not, nothing is replaced and false is returned (a program wrote it meanwhile). With
 * `unchangedNow` too, that is asked once more without yielding to the event loop and the rename follows at
 * once (W34): the asynchronous check takes several thread-pool round trips, many milliseconds on a loaded
 * machine, and a program's save in that time was overwritten and lost.
 */
export async function writeAtomic(file: string, bytes: Uint8Array, tempDir = dirname(file), unchanged?: () => Promise<boolean>, unchangedNow?: () => boolean): Promise<boolean> {
  await fs.mkdir(dirname(file), { recursive: true })
  await fs.mkdir(tempDir, { recursive: true })
  const temp = join(tempDir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`)
  try {
    await fs.writeFile(temp, bytes, { flag: 'wx' })
    if ((unchanged !== undefined && !(await unchanged())) || (unchangedNow !== undefined && !unchangedNow())) {
      await fs.rm(temp, { force: true })
      return false
    }
    if (unchangedNow !== undefined) renameSync(temp, file)
    else await fs.rename(temp, file)
    return true
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined)
    throw err
  }
}

/**
 * The hash of the regular file at `file` read without yielding, undefined when there is none, or null when
 * it is larger than `maxBytes` (too long to read while the event loop waits).
 */
export function hashOfSync(file: string, maxBytes: number): string | undefined | null {
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch {
    return undefined
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) return undefined
    if (stats.size > maxBytes) return null
    return sha256Hex(readFileSync(fd))
  } finally {
    closeSync(fd)
  }
}

/** What is at a path, without following a link. */
export type DiskEntry =
  | { readonly type: 'missing' }
  | { readonly type: 'file'; readonly stats: BigIntStats }
  | { readonly type: 'dir' }
  | { readonly type: 'symlink' }
  | { readonly type: 'special' }

export async function inspect(file: string): Promise<DiskEntry> {
  let stats: BigIntStats
  try {
    // Nanosecond times: the rescan's shortcut compares them with the record's (W22).
    stats = await fs.lstat(file, { bigint: true })
  } catch (err) {
    if (isMissing(err)) return { type: 'missing' }
    throw err
  }
  return entryOf(stats)
}

/**
 * `inspect` without a round trip through the thread pool: an lstat of a cached inode takes microseconds, and
 * the async one costs more in scheduling than in the call. For rescans, in chunks between which the loop runs.
 */
export function inspectSync(file: string): DiskEntry {
  let stats: BigIntStats
  try {
    stats = lstatSync(file, { bigint: true })
  } catch (err) {
    if (isMissing(err)) return { type: 'missing' }
    throw err
  }
  return entryOf(stats)
}

function entryOf(stats: BigIntStats): DiskEntry {
  if (stats.isSymbolicLink()) return { type: 'symlink' }
  if (stats.isDirectory()) return { type: 'dir' }
  if (stats.isFile()) return { type: 'file', stats }
  return { type: 'special' }
}

/**
 * The bytes of a regular file, or undefined when it is gone or is no longer a regular file (it was
 * replaced by a link or a FIFO between `inspect` and here: O_NOFOLLOW and O_NONBLOCK make that safe).
 */
export async function readRegular(file: string): Promise<Uint8Array | undefined> {
  let handle
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'ELOOP') return undefined
    throw err
  }
  try {
    if (!(await handle.stat()).isFile()) return undefined
    return new Uint8Array(await handle.readFile())
  } finally {
    await handle.close()
  }
}

/** The hash of the regular file at `file`, or undefined when there is none. */
export async function hashOf(file: string): Promise<string | undefined> {
  const bytes = await readRegular(file).catch(() => undefined)
  return bytes === undefined ? undefined : sha256Hex(bytes)
}

export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/** Removes empty directories from `dir` up to (not including) `root`, stopping at the first that is not empty. */
export async function pruneEmptyDirs(root: string, dir: string, keep: (dir: string) => boolean): Promise<void> {
  while (dir.length > root.length && dir.startsWith(root + '/')) {
    if (keep(dir)) return
    try {
      await fs.rmdir(dir)
    } catch {
      return
    }
    dir = dirname(dir)
  }
}
