/**
 * Making document changes of what a batch read from disk: edits of existing entries (as diffs against the
 * heads the file was written from, W5), new entries and deletions in the batch's one project change (W21).
 */
import { next as A } from '@automerge/automerge'
import type { DocHandle, UrlHeads } from '@automerge/automerge-repo'
import { addFile, addFiles, createText, deleteFile, importIpynb, readProject, setBlob, type FileEntry, type NewFile, type NotebookDoc, type ProjectDoc, type TextDoc } from '@quire/crdt'
import type { BigIntStats } from 'node:fs'
import type { SyncContext } from './context.js'
import { keepDiskVersion } from './blob-conflict.js'
import { ingestNotebook, ingestText, parseIpynb } from './ingest.js'
import { mimeOf } from './mime.js'
import type { FileRecord } from './state-store.js'

/** A file read from disk. */
export interface Seen {
  readonly path: string
  readonly bytes: Uint8Array
  readonly hash: string
  /** The file's size and times when it was read (the record keeps them for W22). */
  readonly stat: FileStat
}

export type FileStat = Pick<FileRecord, 'mtimeNs' | 'ctimeNs'>

export function statOf(stats: BigIntStats): FileStat {
  return { mtimeNs: stats.mtimeNs.toString(), ctimeNs: stats.ctimeNs.toString() }
}

/** Whether a file's size and times are what the record saw: then its bytes are too (W22). */
export function sameStat(record: FileRecord, stats: BigIntStats): boolean {
  return record.mtimeNs !== undefined && BigInt(record.size) === stats.size && record.mtimeNs === stats.mtimeNs.toString() && record.ctimeNs === stats.ctimeNs.toString()
}

/**
 * New entries waiting for the batch's one project change (W21): the entries the batch started from, by id
 * and by path, plus what the batch adds, so no per-file read of the whole project is needed.
 */
export interface Batch {
  readonly entries: Map<string, FileEntry>
  readonly paths: Set<string>
  readonly creates: Array<{ file: NewFile; path: string; record: Omit<FileRecord, 'id'> }>
  /** Bytes and count of the files waiting to be added, for the limits. */
  bytes: number
}

/** Adds the batch's new entries and deletes the gone ones in one project change; returns the ids deleted. */
export function commitBatch(ctx: SyncContext, batch: Batch, deletes: readonly FileRecord[]): Set<string> {
  const deleted = new Set<string>()
  if (batch.creates.length === 0 && deletes.length === 0) return deleted
  let added: Array<string | Error> = []
  const removed: boolean[] = []
  try {
    ctx.project.change((doc) => {
      // A member may have taken a path since the batch began: such a file is left for the writer (an edit of that entry).
      const now = liveEntries(ctx, doc)
      const taken = new Set([...now.values()].map((e) => e.displayPath))
      const fresh = batch.creates.map((c) => c.file).filter((f) => !taken.has(f.path))
      const ids = addFiles(doc, fresh)
      added = batch.creates.map((c) => (taken.has(c.path) ? new Error('taken') : ids.shift()!))
      for (const record of deletes) {
        const ok = now.has(record.id)
        if (ok) deleteFile(doc, record.id)
        removed.push(ok)
      }
    })
    ctx.stats.projectChanges++
  } catch (err) {
    for (const c of batch.creates) ctx.problems.set(c.path, 'WORKSPACE_PATH_TAKEN', `the project refused this file: ${(err as Error).message}`)
    return deleted
  }
  batch.creates.forEach((c, i) => {
    const id = added[i]
    if (typeof id !== 'string') {
      if (id !== undefined && id.message !== 'taken') ctx.problems.set(c.path, 'WORKSPACE_PATH_TAKEN', `the project refused this file: ${id.message}`)
      return
    }
    ctx.records.set({ id, ...c.record })
    ctx.stats.changesFromDisk++
    ctx.problems.clear(c.path)
  })
  deletes.forEach((record, i) => {
    if (!removed[i]) return
    ctx.stats.changesFromDisk++
    deleted.add(record.id)
  })
  return deleted
}

/** Several project edits in one change; each is tried alone, so one refused edit (a problem) keeps the others. */
export function changeEach(ctx: SyncContext, edits: ReadonlyArray<{ path: string; apply: (doc: ProjectDoc) => void }>): boolean[] {
  const done: boolean[] = []
  ctx.project.change((doc) => {
    for (const edit of edits) {
      try {
        edit.apply(doc)
        done.push(true)
      } catch (err) {
        ctx.problems.set(edit.path, 'WORKSPACE_PATH_TAKEN', `the project refused this file: ${(err as Error).message}`)
        done.push(false)
      }
    }
  })
  ctx.stats.projectChanges++
  return done
}

export async function applyEdit(ctx: SyncContext, seen: Seen, record: FileRecord, batch: Batch): Promise<void> {
  const entry = batch.entries.get(record.id)
  if (entry === undefined) {
    ctx.records.delete(record.id) // deleted in the document meanwhile: the edited file becomes a new entry
    await createEntry(ctx, seen, batch)
    return
  }
  if (!withinLimits(ctx, seen, record.size)) return
  const base = (record.heads ?? []) as UrlHeads
  let heads: UrlHeads | undefined
  if (entry.kind === 'text') {
    const text = asText(ctx, seen.bytes)
    if (text === undefined) return replaceWithBlob(ctx, seen, record)
    const handle = await ctx.handle<TextDoc>(entry.url)
    if (handle === undefined) return
    heads = ingestText(handle, base, text)
    if (heads === undefined) ctx.stats.echoWrites++
  } else if (entry.kind === 'notebook') {
    let target
    try {
      target = parseIpynb(new TextDecoder().decode(seen.bytes))
    } catch (err) {
      ctx.problems.set(seen.path, 'WORKSPACE_NOTEBOOK_INVALID', `${(err as Error).message} The notebook keeps its last good version.`)
      return
    }
    const handle = await ctx.handle<NotebookDoc>(entry.url)
    if (handle === undefined) return
    heads = ingestNotebook(handle, base, target)
  } else if (entry.kind === 'blob') {
    if (record.hash !== '' && entry.sha256 !== record.hash && entry.sha256 !== seen.hash) {
      // Changed by a member too since the file was last written or read: both versions are kept (W42).
      if (await keepDiskVersion(ctx, seen, record) !== undefined) return
    }
    const sha256 = await ctx.blobs.put(seen.bytes)
    if (!change(ctx, seen.path, (doc) => setBlob(doc, record.id, { sha256, size: seen.bytes.length, mime: mimeOf(seen.path, seen.bytes) }))) return
  }
  ctx.stats.changesFromDisk++
  ctx.problems.clear(seen.path)
  ctx.records.set({ ...record, hash: seen.hash, size: seen.bytes.length, ...seen.stat, ...(heads !== undefined ? { heads: [...heads] } : {}) })
}

/** A text file that became binary or too large: its entry becomes a blob entry at the same path. */
async function replaceWithBlob(ctx: SyncContext, seen: Seen, record: FileRecord): Promise<void> {
  const sha256 = await ctx.blobs.put(seen.bytes)
  const blob: NewFile = { kind: 'blob', path: seen.path, sha256, size: seen.bytes.length, mime: mimeOf(seen.path, seen.bytes), ...createdBy(ctx) }
  let id = ''
  if (!change(ctx, seen.path, (doc) => { deleteFile(doc, record.id); id = addFile(doc, blob) })) return
  ctx.records.delete(record.id)
  ctx.records.set({ id, path: seen.path, kind: 'blob', hash: seen.hash, size: seen.bytes.length, ...seen.stat })
  ctx.stats.changesFromDisk++
}

/** Prepares a new entry for the batch's project change (`commitBatch`). */
export async function createEntry(ctx: SyncContext, seen: Seen, batch: Batch): Promise<void> {
  if (ctx.records.size + batch.creates.length >= ctx.limits.maxFiles) {
    ctx.problems.set(seen.path, 'WORKSPACE_TOO_MANY_FILES', `the project has ${ctx.limits.maxFiles} files, its limit; this file stays on this disk only`)
    return
  }
  if (!withinLimits(ctx, seen, -batch.bytes)) return
  if (batch.paths.has(seen.path)) {
    return // a member made a file at this path meanwhile: the writer claims this file as an edit of it
  }
  const text = asText(ctx, seen.bytes)
  let file: NewFile
  let handle: DocHandle<unknown> | undefined
  if (text !== undefined && seen.path.toLowerCase().endsWith('.ipynb') && isNotebook(text)) {
    handle = ctx.repo.import<unknown>(A.save(importIpynb(text)))
    file = { kind: 'notebook', path: seen.path, url: handle.url, ...createdBy(ctx) }
  } else if (text !== undefined) {
    handle = ctx.repo.import<unknown>(A.save(createText(text)))
    file = { kind: 'text', path: seen.path, url: handle.url, ...createdBy(ctx) }
  } else {
    const sha256 = await ctx.blobs.put(seen.bytes)
    file = { kind: 'blob', path: seen.path, sha256, size: seen.bytes.length, mime: mimeOf(seen.path, seen.bytes), ...createdBy(ctx) }
  }
  const record: Omit<FileRecord, 'id'> = { path: seen.path, kind: file.kind, hash: seen.hash, size: seen.bytes.length, ...seen.stat }
  if (handle !== undefined) {
    record.heads = [...handle.heads()]
    record.url = handle.url
  }
  batch.creates.push({ file, path: seen.path, record })
  batch.paths.add(seen.path)
  batch.bytes += seen.bytes.length
}

export function createFolder(ctx: SyncContext, path: string, batch: Batch): void {
  for (const p of batch.paths) if (p === path || p.startsWith(`${path}/`)) return
  batch.creates.push({ file: { kind: 'folder', path, ...createdBy(ctx) }, path, record: { path, kind: 'folder', hash: '', size: 0 } })
  batch.paths.add(path)
}

function withinLimits(ctx: SyncContext, seen: Seen, before: number): boolean {
  const grows = seen.bytes.length - before
  if (grows > 0 && ctx.records.totalBytes() + grows > ctx.limits.maxTotalBytes) {
    ctx.problems.set(seen.path, 'WORKSPACE_FULL', `the workspace is full (${ctx.limits.maxTotalBytes} bytes); this file stays on this disk only until files are deleted`)
    return false
  }
  return true
}

/** One project change; a refusal (the path was taken meanwhile) becomes a problem, not a crash. */
function change(ctx: SyncContext, path: string, fn: Parameters<SyncContext['project']['change']>[0]): boolean {
  try {
    ctx.project.change(fn)
    ctx.stats.projectChanges++
    return true
  } catch (err) {
    ctx.problems.set(path, 'WORKSPACE_PATH_TAKEN', `the project refused this file: ${(err as Error).message}`)
    return false
  }
}

export function liveEntries(ctx: SyncContext, doc: ProjectDoc = ctx.project.doc()): Map<string, FileEntry> {
  const read = readProject(doc)
  return new Map(read.ok ? read.value.files.map((e) => [e.id, e]) : [])
}

/** The text of UTF-8 bytes without NUL up to the text limit, or undefined for a binary or large file. */
export function asText(ctx: SyncContext, bytes: Uint8Array): string | undefined {
  if (bytes.length > ctx.limits.maxTextBytes || bytes.includes(0)) return undefined
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}

function isNotebook(text: string): boolean {
  try {
    parseIpynb(text)
    return true
  } catch {
    return false
  }
}

function createdBy(ctx: SyncContext): { createdBy?: string } {
  return ctx.peerId === undefined ? {} : { createdBy: ctx.peerId }
}
