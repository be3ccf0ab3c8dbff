/**
 * A blob changed on both sides since its file was last written or read (a program wrote the file while a
 * member replaced the entry's bytes): neither version may be lost (W42). The members' version keeps the path
 * (everybody has seen it already); the disk's version is kept beside it as a file of its own,
 * `name (conflict from <peer> <date>).ext`, which the next batch reads as a new entry like any new file.
 */
import { join } from 'node:path'
import type { SyncContext } from './context.js'
import type { Seen } from './disk-apply.js'
import { TEMP_DIR, inspect, writeAtomic } from './disk-io.js'
import type { FileRecord } from './state-store.js'

/** Writes the disk's version under a conflict name and records that the path's bytes were read, so the writer puts the members' version there. */
export async function keepDiskVersion(ctx: SyncContext, seen: Seen, record: FileRecord, now = new Date()): Promise<string | undefined> {
  const copy = await freeConflictPath(ctx, seen.path, now)
  if (copy === undefined) return undefined
  try {
    await writeAtomic(join(ctx.root, copy), seen.bytes, join(ctx.root, TEMP_DIR))
  } catch (err) {
    // No room for the copy (a full disk): the disk's version goes into the entry as before W42; the members'
    // version stays in the entry's history and the blob store.
    ctx.log(`${seen.path} was changed on disk and by a member at once, and the disk's version could not be kept beside it: ${(err as Error).message}`)
    return undefined
  }
  ctx.markDisk(copy)
  // The bytes at the path are now those read (and kept in the copy): the writer replaces them with the entry's.
  ctx.records.set({ ...record, hash: seen.hash, size: seen.bytes.length, ...seen.stat })
  ctx.log(`${seen.path} was changed on disk and by a member at once; the disk's version is kept as ${copy}`)
  return copy
}

/** `dir/plot (conflict from 1a2b3c4d 2026-12-07 23-10-05).png`, numbered when taken on disk or in the records. */
export function conflictName(path: string, peer: string, now: Date, n = 1): string {
  const slash = path.lastIndexOf('/')
  const dir = slash < 0 ? '' : path.slice(0, slash + 1)
  const name = path.slice(slash + 1)
  const dot = name.lastIndexOf('.')
  const stem = dot > 0 ? name.slice(0, dot) : name
  const ext = dot > 0 ? name.slice(dot) : ''
  const date = now.toISOString().slice(0, 19).replace('T', ' ').replaceAll(':', '-')
  return `${dir}${stem} (conflict from ${peer} ${date}${n > 1 ? ` ${n}` : ''})${ext}`
}

async function freeConflictPath(ctx: SyncContext, path: string, now: Date): Promise<string | undefined> {
  const peer = ctx.peerId === undefined ? 'workspace' : ctx.peerId.slice(-8)
  for (let n = 1; n <= 100; n++) {
    const candidate = conflictName(path, peer, now, n)
    if (ctx.records.atPath(candidate) === undefined && (await inspect(join(ctx.root, candidate))).type === 'missing') return candidate
  }
  return undefined
}
