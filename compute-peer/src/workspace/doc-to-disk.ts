/**
 * Documents to disk: every live entry of the project is written to its display path, moved when it was
 * renamed and removed when it was deleted. A file is written only when its content changed (heads first,
 * then the bytes' hash), atomically, and recorded with the heads it came from, so the disk side reads our
 * own writes as nothing new. A file with a disk edit not yet read is left for the disk side to read first:
 * the write that follows carries the merge.
 */
import { promises as fs, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { constants } from 'node:os'
import { next as A } from '@automerge/automerge'
import { readProject, type FileEntry, type NotebookDoc, type TextDoc } from '@quire/crdt'
import type { SyncContext } from './context.js'
import { TEMP_DIR, hashOf, hashOfSync, inspect, inspectSync, pruneEmptyDirs, sha256Hex, writeAtomic } from './disk-io.js'
import { renderNotebook, renderText, type Rendered } from './render.js'
import type { FileRecord } from './state-store.js'

/** Files up to this size are checked once more right before the rename, without yielding (W34). */
const SYNC_CHECK_BYTES = 4 * 1024 * 1024

const { errno } = constants

/** Writes what changed; `pending(path)` says a disk event for the path waits to be read. Returns blobs still missing. */
export async function writeDocuments(ctx: SyncContext, pending: (path: string) => boolean): Promise<number> {
  await ctx.lateEdits.apply(ctx)
  const doc = ctx.project.doc()
  const heads = A.getHeads(doc)
  // The project is as it was when the records last held all of its entries: only documents can have changed (W41).
  if (ctx.records.completeAt(heads)) return writeFromRecords(ctx, pending)
  const read = readProject(doc)
  if (!read.ok) return 0
  ctx.stats.projectReads++
  const entries = read.value.files.filter((e) => !isGitPath(e.displayPath))
  const live = new Set(entries.map((e) => e.id))
  for (const record of ctx.records.all()) {
    if (!live.has(record.id) && !pending(record.path)) await removeFile(ctx, record, entries)
  }
  let missing = 0
  for (const entry of entries) {
    if (ctx.signal.aborted) return missing
    if (pending(entry.displayPath)) continue
    try {
      if (!(await writeEntry(ctx, entry, entries))) missing++
    } catch (err) {
      writeFailed(ctx, entry.displayPath, err)
    }
  }
  if (ctx.signal.aborted) return missing
  const paths = new Set(entries.map((e) => e.displayPath))
  ctx.problems.clearGoneEntries((path) => paths.has(path))
  if (recordsMatch(ctx, entries)) ctx.records.markComplete(heads)
  return missing
}

/**
 * The pass of W41: the records are every entry of the project as it is, so only the text and notebook
 * documents are looked at (their heads against the records'), without reading 100,000 project entries.
 */
async function writeFromRecords(ctx: SyncContext, pending: (path: string) => boolean): Promise<number> {
  for (const record of ctx.records.all()) {
    if (ctx.signal.aborted) return 0
    if ((record.kind !== 'text' && record.kind !== 'notebook') || record.url === undefined || pending(record.path)) continue
    const entry: FileEntry = { id: record.id, path: record.path, displayPath: record.path, conflict: false, createdAt: null, createdBy: null, chatUrl: null, kind: record.kind, url: record.url }
    try {
      await writeEntry(ctx, entry, [])
    } catch (err) {
      writeFailed(ctx, record.path, err)
    }
  }
  return 0
}

/** Whether every live entry has a record of its path, kind, document or blob, and no record is of another entry (W41). */
function recordsMatch(ctx: SyncContext, entries: readonly FileEntry[]): boolean {
  if (ctx.records.size !== entries.length) return false
  for (const entry of entries) {
    const record = ctx.records.get(entry.id)
    if (record === undefined || record.path !== entry.displayPath || record.kind !== entry.kind) return false
    if (entry.kind === 'blob' && record.hash !== entry.sha256) return false
    if ((entry.kind === 'text' || entry.kind === 'notebook') && record.url !== entry.url) return false
  }
  return true
}

/** Writes one entry if needed; false when its blob is missing. */
async function writeEntry(ctx: SyncContext, entry: FileEntry, entries: readonly FileEntry[]): Promise<boolean> {
  const path = entry.displayPath
  const file = join(ctx.root, path)
  let record = ctx.records.get(entry.id)
  if (record !== undefined && record.path !== path) record = await moveFile(ctx, record, path, entries)
  if (record !== undefined && record.kind === entry.kind && (entry.kind === 'text' || entry.kind === 'notebook') && record.url !== entry.url) {
    record = { ...record, url: entry.url } // a record from before W41 learns its document
    ctx.records.set(record)
  }
  if (entry.kind === 'folder') {
    if (record === undefined) {
      await fs.mkdir(file, { recursive: true })
      ctx.records.set({ id: entry.id, path, kind: 'folder', hash: '', size: 0 })
    }
    return true
  }
  let rendered: Rendered | undefined
  let hash: string
  if (entry.kind === 'blob') {
    if (record?.kind === 'blob' && record.hash === entry.sha256) return true
    hash = entry.sha256
  } else {
    const handle = await ctx.handle<TextDoc & NotebookDoc>(entry.url)
    if (handle === undefined) return true // written once a peer sends the document
    const heads = handle.heads()
    if (record?.kind === entry.kind && sameHeads(record.heads, heads)) return true
    rendered = entry.kind === 'text' ? renderText(handle) : await renderNotebook(handle, ctx.blobs)
    if (rendered === undefined) return true
    hash = sha256Hex(rendered.bytes)
    if (record?.kind === entry.kind && record.hash === hash) {
      ctx.records.set({ ...record, heads: [...rendered.heads], ...urlOf(entry) })
      return true
    }
  }
  const onDisk = await hashOf(file)
  if (onDisk === undefined && record !== undefined && record.hash !== '') {
    // Deleted on disk, and the disk side has not read that yet: it decides (W16), we do not write it back.
    ctx.markDisk(path)
    return true
  }
  if (onDisk !== undefined && onDisk !== record?.hash) {
    if (onDisk === hash) {
      ctx.records.set({ id: entry.id, path, kind: entry.kind, hash, size: rendered?.bytes.length ?? (entry.kind === 'blob' ? entry.size : 0), ...(rendered ? { heads: [...rendered.heads] } : {}), ...urlOf(entry) })
      return true
    }
    // Bytes on disk that the document has not seen (an edit not read yet, or a file that was there before the
    // entry): read them as an edit of this entry, against the document as it is if there is no older base.
    if (record === undefined) ctx.records.set({ id: entry.id, path, kind: entry.kind, hash: '', size: 0, heads: rendered ? [...rendered.heads] : [], ...urlOf(entry) })
    ctx.markDisk(path)
    return true
  }
  let bytes = rendered?.bytes
  if (bytes === undefined && entry.kind === 'blob') {
    bytes = await fetchBlob(ctx, entry.sha256)
    if (bytes === undefined) {
      ctx.problems.set(path, 'WORKSPACE_BLOB_MISSING', `the content of this file (blob ${entry.sha256.slice(0, 12)}) is not here yet; it is written when a peer sends it`, true)
      return false
    }
  }
  if (bytes === undefined) return true
  const grows = bytes.length - (record?.size ?? 0)
  if (grows > 0 && ctx.records.totalBytes() + grows > ctx.limits.maxTotalBytes) {
    ctx.problems.set(path, 'WORKSPACE_FULL', `the workspace is full (${ctx.limits.maxTotalBytes} bytes); delete files to make room`, true)
    return true
  }
  // Checked again right before the rename: a program may have written the file while we rendered it. Then
  // once more without yielding (files up to 4 MiB), so what remains is the moment of one rename call (W34).
  const expected = onDisk
  const now = (): boolean => {
    const hash = hashOfSync(file, SYNC_CHECK_BYTES)
    return hash === null || hash === expected
  }
  if (!(await writeAtomic(file, bytes, join(ctx.root, TEMP_DIR), async () => (await hashOf(file)) === expected, now))) {
    ctx.markDisk(path)
    return true
  }
  // The watcher drops a create and a delete of one path in one batch, so a file removed right after we
  // wrote it would never be reported: every file we write is read once more, after the quiet period.
  ctx.markDisk(path)
  ctx.stats.filesWritten++
  ctx.problems.clear(path)
  const next: FileRecord = { id: entry.id, path, kind: entry.kind, hash, size: bytes.length, ...urlOf(entry) }
  if (rendered !== undefined) next.heads = [...rendered.heads]
  ctx.records.set(next)
  return true
}

/** Moves a renamed entry's file if it is as last written; otherwise the old file stays and becomes a new entry. */
async function moveFile(ctx: SyncContext, record: FileRecord, path: string, entries: readonly FileEntry[]): Promise<FileRecord | undefined> {
  const from = join(ctx.root, record.path)
  const to = join(ctx.root, path)
  const here = await inspect(from)
  const unchanged = record.kind === 'folder' ? here.type === 'dir' : here.type === 'file' && (await hashOf(from)) === record.hash
  if (unchanged && (await inspect(to)).type === 'missing') await fs.mkdir(dirname(to), { recursive: true })
  // Looked at again without yielding, then moved at once: a file a program made at the new path meanwhile is kept (W34).
  if (unchanged && inspectSync(to).type === 'missing') {
    renameSync(from, to)
    ctx.markDisk(path)
    ctx.stats.filesMoved++
    await pruneEmptyDirs(ctx.root, dirname(from), (dir) => isFolder(ctx, dir, entries))
    const moved = { ...record, path }
    ctx.records.set(moved)
    return moved
  }
  ctx.records.delete(record.id)
  return undefined
}

/** Removes a deleted entry's file if it is as last written (an edit made meanwhile is kept, as a new file). */
async function removeFile(ctx: SyncContext, record: FileRecord, entries: readonly FileEntry[]): Promise<void> {
  const file = join(ctx.root, record.path)
  ctx.records.delete(record.id)
  ctx.problems.clear(record.path)
  if (record.kind === 'folder') {
    await pruneEmptyDirs(ctx.root, file, (dir) => isFolder(ctx, dir, entries))
    return
  }
  if ((await hashOf(file)) !== record.hash) return
  // Once more without yielding, then removed at once: a program's save meanwhile is kept (W34).
  const now = hashOfSync(file, SYNC_CHECK_BYTES)
  if (now !== null && now !== record.hash) return
  rmSync(file, { force: true })
  ctx.stats.filesRemoved++
  await pruneEmptyDirs(ctx.root, dirname(file), (dir) => isFolder(ctx, dir, entries))
}

async function fetchBlob(ctx: SyncContext, hash: string): Promise<Uint8Array | undefined> {
  const here = await ctx.blobs.get(hash).catch(() => undefined)
  if (here !== undefined || ctx.blobs.fetch === undefined) return here
  return ctx.blobs.fetch(hash, ctx.signal).catch(() => undefined)
}

/** Whether a directory is a folder entry of the project (kept even when empty). */
function isFolder(ctx: SyncContext, dir: string, entries: readonly FileEntry[]): boolean {
  const rel = dir.slice(ctx.root.length + 1)
  return entries.some((e) => e.kind === 'folder' && e.displayPath === rel)
}

/** A failed write as a problem: the disk (or the workspace's BTRFS qgroup, N9) full is `WORKSPACE_FULL` (W43). */
function writeFailed(ctx: SyncContext, path: string, err: unknown): void {
  const full = diskFullCode(err)
  if (full !== undefined) ctx.problems.set(path, 'WORKSPACE_FULL', `the workspace's disk is full (${full}); delete files or snapshots to make room, the file is written then`, true)
  else ctx.problems.set(path, 'WORKSPACE_IO_FAILED', `could not write the file: ${(err as Error).message}`, true)
}

/** EDQUOT: the qgroup limit of the workspace's subvolume; ENOSPC: the file system itself. */
export function isDiskFull(err: unknown): boolean {
  return diskFullCode(err) !== undefined
}

/** 'EDQUOT' or 'ENOSPC' for such an error. Node 20 does not name EDQUOT ("Unknown system error -122"): its errno tells. */
export function diskFullCode(err: unknown): 'EDQUOT' | 'ENOSPC' | undefined {
  const e = err as NodeJS.ErrnoException | undefined
  if (e?.code === 'EDQUOT' || (e?.errno !== undefined && e.errno === -(errno.EDQUOT ?? Number.NaN))) return 'EDQUOT'
  if (e?.code === 'ENOSPC') return 'ENOSPC'
  return undefined
}

/** A text or notebook entry's document URL, for its record (W41). */
function urlOf(entry: FileEntry): { url?: string } {
  return entry.kind === 'text' || entry.kind === 'notebook' ? { url: entry.url } : {}
}

function sameHeads(a: readonly string[] | undefined, b: readonly string[]): boolean {
  if (a === undefined || a.length !== b.length) return false
  const sorted = [...b].sort()
  return [...a].sort().every((h, i) => h === sorted[i])
}

/** `.git/` belongs to the disk (and `.quire-tmp/` to the workspace): an entry under it is never written there. */
export function isGitPath(path: string): boolean {
  return path === '.git' || path.startsWith('.git/') || path === TEMP_DIR || path.startsWith(`${TEMP_DIR}/`)
}
