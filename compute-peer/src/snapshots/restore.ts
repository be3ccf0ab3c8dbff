/**
 * Putting a snapshot's files back into the live workspace (N6). Each file is copied into the workspace's own
 * temporary folder (unwatched, same filesystem) and renamed into place, so the workspace runner only ever
 * reads a file whole and turns it into new document changes like any other edit.
 *
 * This runs in the daemon (root) while the project's code may run and swap any folder of the workspace for a
 * link (N5). So every folder is opened with O_NOFOLLOW and then only reached through its descriptor
 * (`/proc/self/fd/N/name`, resolved by the kernel to that very folder): a link found on the way is removed
 * and replaced by a real folder, never followed, and a swap made after the check changes nothing.
 */
import { randomBytes } from 'node:crypto'
import { constants, type Stats } from 'node:fs'
import { copyFile, lchown, lstat, mkdir, open, readdir, readlink, rename, rmdir, symlink, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { TEMP_DIR, TEMP_PREFIX } from '../workspace/disk-io.js'
import { openDir, type Dir } from './fd-dirs.js'
import { SnapshotError, type RestoreResult } from './types.js'
import { diskFullCode } from '../workspace/doc-to-disk.js'

/** What a restore counts, and whose the files it makes are: the workspace's owner (the sandbox user). */
interface Counts { written: number; removed: number; owner?: { uid: number; gid: number } }


/** Restores `source` (lstat `stat`, inside a snapshot) to `parts` under the live `workdir`. */
export async function restoreInto(workdir: string, parts: readonly string[], source: string, stat: Stats): Promise<RestoreResult> {
  const counts: Counts = { written: 0, removed: 0 }
  const opened: Dir[] = []
  try {
    const root = await openDir(workdir)
    if (root === undefined) throw new SnapshotError('SNAPSHOT_FAILED', `the workspace ${workdir} is not a folder`)
    opened.push(root)
    // The daemon runs as root; what it writes must stay writable by the workspace and the kernels (R1).
    const { uid, gid } = await root.fh.stat()
    if (process.geteuid?.() === 0) counts.owner = { uid, gid }
    const temp = await realFolderAt(root, TEMP_DIR, { written: 0, removed: 0, ...(counts.owner !== undefined && { owner: counts.owner }) })
    opened.push(temp)
    if (parts.length === 0) {
      await restoreFolder(source, root, temp, counts, true)
    } else {
      let parent = root
      for (const part of parts.slice(0, -1)) {
        parent = await realFolderAt(parent, part, counts)
        opened.push(parent)
      }
      await restoreAt(source, stat, parent, parts[parts.length - 1]!, temp, counts)
    }
  } catch (err) {
    // Node 20 does not name EDQUOT (the qgroup limit): diskFullCode reads its errno.
    const code = diskFullCode(err)
    if (code !== undefined) {
      throw new SnapshotError('WORKSPACE_FULL', `the workspace is full (${code}): ${counts.written} files were restored before it filled; free space or raise the quota, then restore again`, { cause: err })
    }
    throw err
  } finally {
    await Promise.all(opened.map((d) => d.fh.close().catch(() => undefined)))
  }
  return { written: counts.written, removed: counts.removed }
}

async function restoreFolder(source: string, live: Dir, temp: Dir, counts: Counts, root: boolean): Promise<void> {
  const skip = (name: string): boolean => name.startsWith(TEMP_PREFIX) || (root && name === TEMP_DIR)
  const names = new Set(await readdir(source))
  for (const name of names) {
    if (skip(name)) continue
    const from = join(source, name)
    await restoreAt(from, await lstat(from), live, name, temp, counts)
  }
  for (const name of await readdir(live.path)) {
    if (names.has(name) || skip(name)) continue
    await removeAt(live, name)
    counts.removed++
  }
}

async function restoreAt(source: string, stat: Stats, parent: Dir, name: string, temp: Dir, counts: Counts): Promise<void> {
  if (stat.isDirectory()) {
    const dir = await realFolderAt(parent, name, counts)
    try {
      await restoreFolder(source, dir, temp, counts, false)
    } finally {
      await dir.fh.close()
    }
    return
  }
  if (!stat.isFile() && !stat.isSymbolicLink()) return // sockets and FIFOs are not project files
  const live = `${parent.path}/${name}`
  const now = await lstat(live).catch(() => undefined)
  // Looks the same: size, time and mode. File times are coarse (a jiffy), so two writes of the same size in
  // one tick look alike: the bytes decide.
  if (stat.isFile() && now?.isFile() === true && now.size === stat.size && sameTime(now.mtimeMs, stat.mtimeMs) && now.mode === stat.mode && (await sameBytes(source, live, stat.size))) return
  const staged = `${temp.path}/${TEMP_PREFIX}restore-${randomBytes(6).toString('hex')}`
  try {
    if (stat.isSymbolicLink()) {
      await symlink(await readlink(source), staged)
      if (counts.owner !== undefined) await lchown(staged, counts.owner.uid, counts.owner.gid)
    } else {
      // A reflink where the filesystem has them (BTRFS: no data is copied), a copy otherwise; never onto
      // something already there. Mode and times are set through a descriptor: the name could be swapped.
      await copyFile(source, staged, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL)
      const fh = await open(staged, constants.O_RDONLY | constants.O_NOFOLLOW)
      try {
        if (counts.owner !== undefined) await fh.chown(counts.owner.uid, counts.owner.gid)
        await fh.chmod(stat.mode & 0o7777)
        await fh.utimes(stat.atime, stat.mtime)
      } finally {
        await fh.close()
      }
    }
    if (now?.isDirectory() === true) await removeAt(parent, name)
    await rename(staged, live)
    counts.written++
  } catch (err) {
    await unlink(staged).catch(() => undefined)
    throw err
  }
}

/** Opens `parent/name` as a real folder: a link or a file there is removed first (never followed). */
async function realFolderAt(parent: Dir, name: string, counts: Counts): Promise<Dir> {
  const path = `${parent.path}/${name}`
  let made = false
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await openDir(path)
    if (dir !== undefined) {
      if (made && counts.owner !== undefined) await dir.fh.chown(counts.owner.uid, counts.owner.gid)
      return dir
    }
    if ((await lstat(path).catch(() => undefined)) !== undefined) {
      await removeAt(parent, name)
      counts.removed++
    }
    made = await mkdir(path, { mode: 0o755 }).then(() => true, (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err
      return false
    })
  }
  throw new SnapshotError('SNAPSHOT_FAILED', `"${name}" kept changing while it was restored (a program in the project is replacing it); stop it and restore again`)
}

/** Removes `parent/name` and everything under it, through descriptors, never following a link. */
async function removeAt(parent: Dir, name: string): Promise<void> {
  const path = `${parent.path}/${name}`
  const dir = await openDir(path)
  if (dir === undefined) {
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
    return
  }
  try {
    for (const child of await readdir(dir.path)) await removeAt(dir, child)
  } finally {
    await dir.fh.close()
  }
  await rmdir(path).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOTDIR') await unlink(path) // swapped for a link meanwhile: the link goes
    else if (err.code !== 'ENOENT' && err.code !== 'ENOTEMPTY') throw err
  })
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

/**
 * Whether two files of about `size` bytes hold the same bytes (read side by side in chunks of at most 1 MiB;
 * a link is never followed). The buffers fit the file: a project restore compares every unchanged file, and
 * two zeroed 1 MiB buffers for each of 10,000 small files made that take minutes (bench: snapshots).
 */
async function sameBytes(a: string, b: string, size: number): Promise<boolean> {
  const [fa, fb] = await Promise.all([a, b].map((p) => open(p, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined)))
  try {
    if (fa === undefined || fb === undefined) return false
    // One byte more than the file, so a file that grew since its stat shows as a longer read.
    const chunk = Math.min(size + 1, 1 << 20)
    const [ba, bb] = [Buffer.allocUnsafe(chunk), Buffer.allocUnsafe(chunk)]
    for (;;) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, ba.length, null), fb.read(bb, 0, bb.length, null)])
      if (ra.bytesRead !== rb.bytesRead) return false
      if (ra.bytesRead === 0) return true
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false
    }
  } finally {
    await fa?.close()
    await fb?.close()
  }
}

/** Times equal to the millisecond copies keep (`utimes` goes through a double of seconds, so not exactly). */
export function sameTime(a: number, b: number): boolean {
  return Math.abs(a - b) < 1
}
