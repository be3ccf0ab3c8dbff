/**
 * Documents to disk: every live entry of the project is written to its display path, moved when it was
 * renamed and removed when it was deleted. A file is written only when its content changed (heads first,
 * then the bytes' hash), atomically, and recorded with the heads it came from, so the disk side reads our
 * own writes as nothing new. A file with a disk edit not yet read is left for the disk side to read first:
 * the write that follows carries the merge.
 */
import { promises as fs, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { readProject, type FileEntry, type NotebookDoc, type TextDoc } from '@quire/crdt'
import type { SyncContext } from './context.js'
import { TEMP_DIR, hashOf, hashOfSync, inspect, inspectSync, pruneEmptyDirs, sha256Hex, writeAtomic } from './disk-io.js'
import { renderNotebook, renderText, type Rendered } from './render.js'
import type { FileRecord } from './state-store.js'

/** Files up to this size are checked once more right before the rename, without yielding (W34). */
const SYNC_CHECK_BYTES = 4 * 1024 * 1024

/** Writes what changed; `pending(path)` says a disk event for the path waits to be read. Returns blobs still missing. */
export async function writeDocuments(ctx: SyncContext, pending: (path: string) => boolean): Promise<number> {
  await ctx.lateEdits.apply(ctx)
  const read = readProject(ctx.project.doc())
  if (!read.ok) return 0
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
      ctx.problems.set(entry.displayPath, 'WORKSPACE_IO_FAILED', `could not write the file: ${(err as Error).message}`)
    }
  }
  return missing
}

/** Writes one entry if needed; false when its blob is missing. */
async function writeEntry(ctx: SyncContext, entry: FileEntry, entries: readonly FileEntry[]): Promise<boolean> {
  const path = entry.displayPath
  const file = join(ctx.root, path)
  let record = ctx.records.get(entry.id)
  if (record !== undefined && record.path !== path) record = await moveFile(ctx, record, path, entries)
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
      ctx.records.set({ ...record, heads: [...rendered.heads] })
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
      ctx.records.set({ id: entry.id, path, kind: entry.kind, hash, size: rendered?.bytes.length ?? (entry.kind === 'blob' ? entry.size : 0), ...(rendered ? { heads: [...rendered.heads] } : {}) })
      return true
    }
    // Bytes on disk that the document has not seen (an edit not read yet, or a file that was there before the
    // entry): read them as an edit of this entry, against the document as it is if there is no older base.
    if (record === undefined) ctx.records.set({ id: entry.id, path, kind: entry.kind, hash: '', size: 0, heads: rendered ? [...rendered.heads] : [] })
    ctx.markDisk(path)
    return true
  }
  let bytes = rendered?.bytes
  if (bytes === undefined && entry.kind === 'blob') {
    bytes = await fetchBlob(ctx, entry.sha256)
    if (bytes === undefined) {
      ctx.problems.set(path, 'WORKSPACE_BLOB_MISSING', `the content of this file (blob ${entry.sha256.slice(0, 12)}) is not here yet; it is written when a peer sends it`)
      return false
    }
  }
  if (bytes === undefined) return true
  const grows = bytes.length - (record?.size ?? 0)
  if (grows > 0 && ctx.records.totalBytes() + grows > ctx.limits.maxTotalBytes) {
    ctx.problems.set(path, 'WORKSPACE_FULL', `the workspace is full (${ctx.limits.maxTotalBytes} bytes); delete files to make room`)
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
  const next: FileRecord = { id: entry.id, path, kind: entry.kind, hash, size: bytes.length }
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

function sameHeads(a: readonly string[] | undefined, b: readonly string[]): boolean {
  if (a === undefined || a.length !== b.length) return false
  const sorted = [...b].sort()
  return [...a].sort().every((h, i) => h === sorted[i])
}

/** `.git/` belongs to the disk (and `.quire-tmp/` to the workspace): an entry under it is never written there. */
export function isGitPath(path: string): boolean {
  return path === '.git' || path.startsWith('.git/') || path === TEMP_DIR || path.startsWith(`${TEMP_DIR}/`)
}
