/**
 * Format `files` (N24): a snapshot travels as its entries in walk order (a folder before what it holds), each
 * an `{e}` frame with path, type, permission bits, and for a file its size, time and SHA-256. A file equal to
 * the parent snapshot's file at the same path (same inode, or same size and SHA-256) is marked `same` and its
 * bytes are not sent: the receiver hard-links its own copy of the parent's file. Any other file's bytes follow
 * its entry in `{d}` frames. Works from and into any filesystem (the copy driver's trees, BTRFS subvolumes).
 */
import { constants, createReadStream } from 'node:fs'
import { chmod, link, lstat, mkdir, open, readdir, readlink, symlink, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { pathParts, resolveInside } from '../paths.js'
import { sameTime } from '../restore.js'
import { DATA_FRAME_BYTES, type Frame } from './frames.js'
import { fileSha256 } from './shape.js'
import { ReplicaError } from './types.js'

/** One entry of a snapshot's tree as sent. */
interface Entry {
  /** Project path. */
  p: string
  /** `d` folder, `f` file, `l` link. */
  t: 'd' | 'f' | 'l'
  /** Permission bits. */
  m: number
  /** File: size, modification time (ms), SHA-256 (hex), and whether the parent's copy is reused. */
  s?: number
  mt?: number
  h?: string
  same?: boolean
  /** Link: its target, never followed. */
  l?: string
}

/** SHA-256 of snapshot files by inode and times: a snapshot's files never change, so each is read once. */
export class HashCache {
  readonly #hashes = new Map<string, string>()

  async of(path: string, s: { dev: number; ino: number; size: number; mtimeMs: number; ctimeMs: number }): Promise<string> {
    const key = `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`
    let hash = this.#hashes.get(key)
    if (hash === undefined) {
      hash = await fileSha256(path)
      if (this.#hashes.size > 200_000) this.#hashes.clear()
      this.#hashes.set(key, hash)
    }
    return hash
  }
}

/** Sends `tree` (against `parent`, a tree the receiver holds too); returns how many files' bytes went. */
export async function sendFiles(tree: string, parent: string | undefined, hashes: HashCache, send: (frame: Frame) => Promise<void>): Promise<number> {
  let files = 0
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name)
      const p = rel + name
      const s = await lstat(path)
      const m = s.mode & 0o7777
      if (s.isDirectory()) {
        await send({ e: { p, t: 'd', m } satisfies Entry })
        await walk(path, p + '/')
      } else if (s.isSymbolicLink()) {
        await send({ e: { p, t: 'l', m, l: await readlink(path) } satisfies Entry })
      } else if (s.isFile()) {
        const h = await hashes.of(path, s)
        const same = parent !== undefined && (await sameAsParent(parent, p, s, h, hashes))
        await send({ e: { p, t: 'f', m, s: s.size, mt: s.mtimeMs, h, same } satisfies Entry })
        if (same) continue
        files++
        for await (const chunk of createReadStream(path, { highWaterMark: DATA_FRAME_BYTES })) await send({ d: chunk as Buffer })
      }
    }
  }
  await walk(tree, '')
  return files
}

async function sameAsParent(parent: string, p: string, s: { dev: number; ino: number; size: number; mode: number }, h: string, hashes: HashCache): Promise<boolean> {
  const before = await resolveInside(parent, p.split('/'), p).catch(() => undefined)
  if (before === undefined || !before.stat.isFile() || before.stat.size !== s.size || before.stat.mode !== s.mode) return false
  if (before.stat.dev === s.dev && before.stat.ino === s.ino) return true // the copy driver's hard link: unchanged
  return (await hashes.of(before.path, before.stat)) === h
}

/**
 * Builds `target` (not existing) from `{e}`/`{d}` frames until the `{end}` frame, which it returns. Every path
 * is checked (N5's rules) and must lie in a folder received before it, so no entry is written through a link;
 * each file's bytes must match its size and SHA-256, a `same` file must match the parent's copy.
 */
export async function receiveFiles(next: () => Promise<Frame | undefined>, target: string, parent: string | undefined): Promise<Frame> {
  await mkdir(target, { mode: 0o700 })
  const folders = new Map<string, number>([['', 0o700]])
  let frame = await next()
  while (frame !== undefined && frame['end'] === undefined) {
    const e = checkEntry(frame['e'])
    const parts = entryParts(e.p)
    const folder = parts.slice(0, -1).join('/')
    if (!folders.has(folder)) throw new ReplicaError('REPLICA_CORRUPT', `"${e.p}" comes before its folder "${folder}" (or its folder was a link)`)
    const path = join(target, ...parts)
    if (e.t === 'd') {
      await mkdir(path, { mode: 0o700 }).catch(duplicate(e.p))
      folders.set(e.p, e.m)
      frame = await next()
    } else if (e.t === 'l') {
      await symlink(e.l!, path).catch(duplicate(e.p))
      frame = await next()
    } else if (e.same === true) {
      if (parent === undefined) throw new ReplicaError('REPLICA_PARENT_MISSING', `"${e.p}" is sent as unchanged but the transfer has no parent`)
      const before = await resolveInside(parent, parts, e.p).catch(() => undefined)
      if (before === undefined || !before.stat.isFile() || before.stat.size !== e.s || (before.stat.mode & 0o7777) !== e.m || !sameTime(before.stat.mtimeMs, e.mt!)) {
        throw new ReplicaError('REPLICA_CORRUPT', `"${e.p}" is sent as unchanged since the parent snapshot, but this peer's copy of the parent differs`)
      }
      await link(before.path, path).catch(duplicate(e.p))
      frame = await next()
    } else {
      frame = await receiveFile(next, path, e)
    }
  }
  if (frame === undefined) throw new ReplicaError('REPLICA_INCOMPLETE', 'the transfer stopped before its end frame; it is not kept')
  // Folders' permissions last, deepest first: a read-only folder must be filled before it is closed.
  for (const [p, m] of [...folders].sort((a, b) => b[0].length - a[0].length)) if (p !== '') await chmod(join(target, p), m)
  return frame
}

async function receiveFile(next: () => Promise<Frame | undefined>, path: string, e: Entry): Promise<Frame | undefined> {
  const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600).catch(duplicate(e.p))
  const hash = createHash('sha256')
  let written = 0
  let frame: Frame | undefined
  try {
    for (;;) {
      frame = await next()
      const d = frame?.['d']
      if (!(d instanceof Uint8Array)) break
      written += d.byteLength
      if (written > e.s!) throw new ReplicaError('REPLICA_CORRUPT', `"${e.p}" carries more than its ${e.s} bytes`)
      hash.update(d)
      await fh.write(d)
    }
    if (written < e.s!) {
      if (frame === undefined) throw new ReplicaError('REPLICA_INCOMPLETE', `the transfer stopped inside "${e.p}" (${written} of ${e.s} bytes)`)
      throw new ReplicaError('REPLICA_CORRUPT', `"${e.p}" carries ${written} of its ${e.s} bytes`)
    }
    if (hash.digest('hex') !== e.h) throw new ReplicaError('REPLICA_CORRUPT', `"${e.p}" does not match its SHA-256: damaged on the way`)
    await fh.chmod(e.m)
  } finally {
    await fh.close()
  }
  await utimes(path, e.mt! / 1000, e.mt! / 1000)
  return frame
}

function checkEntry(v: unknown): Entry {
  const e = v as Partial<Entry> | undefined
  const ok = typeof e === 'object' && e !== null && typeof e.p === 'string' && (e.t === 'd' || e.t === 'f' || e.t === 'l') && Number.isInteger(e.m) && e.m! >= 0 && e.m! <= 0o7777 &&
    (e.t !== 'l' || (typeof e.l === 'string' && e.l.length <= 4096 && !e.l.includes('\0'))) &&
    (e.t !== 'f' || (Number.isSafeInteger(e.s) && e.s! >= 0 && typeof e.mt === 'number' && Number.isFinite(e.mt) && typeof e.h === 'string' && /^[0-9a-f]{64}$/.test(e.h)))
  if (!ok) throw new ReplicaError('REPLICA_REQUEST_INVALID', 'a replica entry frame is not well formed (path, type, mode; size, time and SHA-256 for a file; target for a link)')
  return e as Entry
}

function entryParts(p: string): string[] {
  try {
    const parts = pathParts(p)
    if (parts.length > 0) return parts
  } catch {
    // answered below
  }
  throw new ReplicaError('REPLICA_REQUEST_INVALID', `"${p.slice(0, 200)}" is not a relative project path`)
}

function duplicate(p: string): (err: NodeJS.ErrnoException) => never {
  return (err) => {
    if (err.code === 'EEXIST') throw new ReplicaError('REPLICA_CORRUPT', `"${p}" is sent twice`)
    throw err
  }
}
