/**
 * Disk to documents, one batch of paths at a time (the paths that changed during one quiet period, or all
 * of them on a rescan). Each path is looked at as it is now, never from the event's type, so an editor's
 * save by temporary file and rename is an edit, a touch is nothing (same hash), and our own writes are
 * nothing. A file gone and a file new with the same content (or a similar text) in one batch are a rename.
 */
import { next as A } from '@automerge/automerge'
import { decodeHeads, type DocHandle, type UrlHeads } from '@automerge/automerge-repo'
import { addFile, addFiles, createText, deleteFile, importIpynb, readProject, renameFile, setBlob, type FileEntry, type NewFile, type NotebookDoc, type ProjectDoc, type TextDoc } from '@quire/crdt'
import { promises as fs, type BigIntStats } from 'node:fs'
import { join } from 'node:path'
import type { SyncContext } from './context.js'
import { inspect, inspectSync, readRegular, sha256Hex, type DiskEntry } from './disk-io.js'
import { ingestNotebook, ingestText, parseIpynb } from './ingest.js'
import { mimeOf } from './mime.js'
import { IGNORE_FILE, nameProblem } from './names.js'
import { scanWorkspace } from './scan.js'
import type { FileRecord } from './state-store.js'

interface Seen {
  readonly path: string
  readonly bytes: Uint8Array
  readonly hash: string
  /** The file's size and times when it was read (the record keeps them for W22). */
  readonly stat: FileStat
}

type FileStat = Pick<FileRecord, 'mtimeNs' | 'ctimeNs'>

function statOf(stats: BigIntStats): FileStat {
  return { mtimeNs: stats.mtimeNs.toString(), ctimeNs: stats.ctimeNs.toString() }
}

/** Whether a file's size and times are what the record saw: then its bytes are too (W22). */
function sameStat(record: FileRecord, stats: BigIntStats): boolean {
  return record.mtimeNs !== undefined && BigInt(record.size) === stats.size && record.mtimeNs === stats.mtimeNs.toString() && record.ctimeNs === stats.ctimeNs.toString()
}

/** How a batch is read. */
export interface ReadOptions {
  /**
   * A full rescan: every path is in the batch already (no sibling listing), and a file whose size, mtime and
   * ctime are what its record saw is not read (W22).
   */
  readonly rescan?: boolean
}

/**
 * New entries waiting for the batch's one project change (W21): the entries the batch started from, by id
 * and by path, plus what the batch adds, so no per-file read of the whole project is needed.
 */
interface Batch {
  readonly entries: Map<string, FileEntry>
  readonly paths: Set<string>
  readonly creates: Array<{ file: NewFile; path: string; record: Omit<FileRecord, 'id'> }>
  /** Bytes and count of the files waiting to be added, for the limits. */
  bytes: number
}

/** Reads the paths and makes document changes of what differs from the records. */
export async function readDisk(ctx: SyncContext, paths: Iterable<string>, options: ReadOptions = {}): Promise<void> {
  const queue = options.rescan === true ? [...new Set(paths)] : await withSiblings(ctx, new Set(paths))
  if (queue.includes(IGNORE_FILE)) ctx.rules.load(await readText(join(ctx.root, IGNORE_FILE)))
  const created: Seen[] = []
  const changed: Array<Seen & { record: FileRecord }> = []
  const gone = new Map<string, FileRecord>()
  const emptyDirs: string[] = []
  const done = new Set<string>()
  let putOff = false
  // A rescan looks at every path: their lstat calls run side by side (the thread pool's width), not one by one.
  const looked = options.rescan === true ? await inspectAll(ctx.root, queue) : new Map<string, Promise<DiskEntry>>()
  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const path = queue.pop()!
      if (done.has(path)) continue
      done.add(path)
      const file = join(ctx.root, path)
      const bad = nameProblem(path)
      if (bad !== undefined) {
        if (!ctx.rules.ignores(path)) ctx.problems.set(path, bad.code, bad.message)
        continue
      }
      let found: Awaited<ReturnType<typeof inspect>>
      try {
        found = await (looked.get(path) ?? inspect(file))
        looked.delete(path)
      } catch (err) {
        const tooLong = (err as NodeJS.ErrnoException).code === 'ENAMETOOLONG'
        ctx.problems.set(path, tooLong ? 'WORKSPACE_PATH_TOO_LONG' : 'WORKSPACE_IO_FAILED', tooLong ? 'the path is too long for this system; shorten it to sync it' : `cannot look at the file: ${(err as Error).message}`)
        continue
      }
      if (ctx.rules.ignores(path, found.type === 'dir')) {
        ctx.problems.clear(path)
        continue
      }
      const record = ctx.records.atPath(path)
      if (found.type === 'missing') {
        ctx.problems.clear(path)
        if (record !== undefined) gone.set(record.id, record)
        // A directory removed as a whole may be reported as one event.
        for (const r of ctx.records.all()) if (r.path.startsWith(`${path}/`)) gone.set(r.id, r)
        continue
      }
      if (found.type === 'dir') {
        const inside = await scanWorkspace(ctx.root, ctx.rules, path)
        for (const p of inside.paths) queue.push(p)
        emptyDirs.push(...inside.emptyDirs)
        continue
      }
      if (found.type === 'symlink') {
        ctx.problems.set(path, 'WORKSPACE_SYMLINK', 'a symbolic link is never followed and stays on this disk only; copy the file instead to share it')
        continue
      }
      if (found.type === 'special') {
        ctx.problems.set(path, 'WORKSPACE_SPECIAL_FILE', 'a FIFO, socket or device file stays on this disk only')
        continue
      }
      if (options.rescan === true && record !== undefined && record.kind !== 'folder' && sameStat(record, found.stats)) {
        ctx.stats.statOnly++
        continue
      }
      if (Number(found.stats.size) > ctx.limits.maxFileBytes) {
        ctx.problems.set(path, 'WORKSPACE_FILE_TOO_LARGE', `the file is larger than ${ctx.limits.maxFileBytes} bytes and stays on this disk only`)
        continue
      }
      if (ctx.tooFresh(path, Number(found.stats.mtimeMs))) {
        putOff = true
        continue
      }
      const bytes = await readRegular(file)
      if (bytes === undefined) continue
      ctx.stats.filesRead++
      const hash = sha256Hex(bytes)
      const stat = statOf(found.stats)
      if (record !== undefined && record.hash === hash) {
        ctx.stats.unchangedReads++
        ctx.problems.clear(path)
        if (!sameStat(record, found.stats)) ctx.records.set({ ...record, ...stat })
        continue
      }
      if (record !== undefined && record.kind !== 'folder') changed.push({ path, bytes, hash, stat, record })
      else created.push({ path, bytes, hash, stat })
    }
  }
  await drain()
  if (gone.size > 0) {
    // A file gone may have moved to a path whose event is not in this batch (or was never reported): the
    // files no record knows are read too, so the move is a rename and not a delete and a create (W6).
    const scan = await scanWorkspace(ctx.root, ctx.rules)
    for (const path of scan.paths) if (!done.has(path) && ctx.records.atPath(path) === undefined) queue.push(path)
    await drain()
  }
  if (changed.length + created.length + gone.size + emptyDirs.length === 0) return
  // The project is read once per batch, and its changes are made in a few project changes, not one per file (W21).
  const entries = liveEntries(ctx)
  const batch: Batch = { entries, paths: new Set([...entries.values()].map((e) => e.displayPath)), creates: [], bytes: 0 }
  const renamed = await pairRenames(ctx, created, gone, entries)
  const moves = renamed.filter(({ from }) => entries.has(from.id))
  if (moves.length > 0) {
    const done = changeEach(ctx, moves.map(({ from, to }) => ({ path: to.path, apply: (doc: ProjectDoc) => renameFile(doc, from.id, to.path) })))
    moves.forEach(({ from, to }, i) => {
      if (!done[i]) return
      ctx.records.set({ ...from, path: to.path, ...to.stat })
      gone.delete(from.id)
      ctx.stats.changesFromDisk++
      if (to.hash !== from.hash) changed.push({ ...to, record: ctx.records.get(from.id)! })
    })
  }
  for (const seen of changed) await applyEdit(ctx, seen, seen.record, batch)
  for (const seen of created) if (!renamed.some((r) => r.to === seen)) await createEntry(ctx, seen, batch)
  for (const path of emptyDirs) createFolder(ctx, path, batch)
  const deletes: FileRecord[] = []
  for (const record of gone.values()) {
    // A file still being written may be where this one went: decide once it is read (W6).
    if (putOff) {
      ctx.markDisk(record.path)
      continue
    }
    ctx.records.delete(record.id)
    const entry = entries.get(record.id)
    if (entry === undefined) continue
    // Deleted on disk while a member edited it: the edit wins and the file comes back (the writer sees no record).
    if ((entry.kind === 'text' || entry.kind === 'notebook') && (await editedSince(ctx, entry.url, record.heads))) continue
    deletes.push(record)
  }
  commitBatch(ctx, batch, deletes)
}

/** Adds the batch's new entries and deletes the gone ones in one project change. */
function commitBatch(ctx: SyncContext, batch: Batch, deletes: readonly FileRecord[]): void {
  if (batch.creates.length === 0 && deletes.length === 0) return
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
    return
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
  for (const done of removed) if (done) ctx.stats.changesFromDisk++
}

/** Several project edits in one change; each is tried alone, so one refused edit (a problem) keeps the others. */
function changeEach(ctx: SyncContext, edits: ReadonlyArray<{ path: string; apply: (doc: ProjectDoc) => void }>): boolean[] {
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

/**
 * The lstat results of many paths, 1,000 synchronous calls at a time with the event loop run between chunks
 * (100,000 async lstat calls took 2.3 s here, the synchronous ones a fraction of that). An error is kept for
 * the reader to report.
 */
async function inspectAll(root: string, paths: readonly string[]): Promise<Map<string, Promise<DiskEntry>>> {
  const out = new Map<string, Promise<DiskEntry>>()
  for (let i = 0; i < paths.length; i += 1000) {
    for (const path of paths.slice(i, i + 1000)) {
      try {
        out.set(path, Promise.resolve(inspectSync(join(root, path))))
      } catch (err) {
        const failed = Promise.reject(err as Error)
        failed.catch(() => undefined) // read (and reported) by the loop
        out.set(path, failed)
      }
    }
    await new Promise((r) => setImmediate(r))
  }
  return out
}

/**
 * The paths plus every recorded or present entry of the directories they are in. The watcher drops a create
 * and a delete of one path in one batch even when the "create" was a rename over an existing file (an atomic
 * save followed by a delete is then never reported); the save's temporary file still reports its directory,
 * whose listing shows the file gone.
 */
async function withSiblings(ctx: SyncContext, paths: Set<string>): Promise<string[]> {
  const dirs = new Set<string>()
  for (const path of paths) dirs.add(path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '')
  const out = new Set(paths)
  for (const dir of dirs) {
    const names = await fs.readdir(dir === '' ? ctx.root : join(ctx.root, dir)).catch(() => [] as string[])
    for (const name of names) out.add(dir === '' ? name : `${dir}/${name}`)
  }
  for (const record of ctx.records.all()) {
    const parent = record.path.includes('/') ? record.path.slice(0, record.path.lastIndexOf('/')) : ''
    if (dirs.has(parent)) out.add(record.path)
  }
  return [...out]
}

async function editedSince(ctx: SyncContext, url: string, heads: readonly string[] | undefined): Promise<boolean> {
  const handle = await ctx.handle<unknown>(url)
  if (handle === undefined || heads === undefined) return false
  const now = [...handle.heads()].sort()
  return now.length !== heads.length || [...heads].sort().some((h, i) => h !== now[i])
}

/**
 * Same bytes first; then text files gone and new in one batch whose contents are mostly alike (the new
 * file is the old one edited while being moved), best match first.
 */
async function pairRenames(ctx: SyncContext, created: Seen[], gone: Map<string, FileRecord>, entries: Map<string, FileEntry>): Promise<Array<{ from: FileRecord; to: Seen }>> {
  const pairs: Array<{ from: FileRecord; to: Seen }> = []
  const used = new Set<string>()
  const goneByHash = new Map<string, FileRecord[]>()
  for (const r of gone.values()) if (r.kind !== 'folder') goneByHash.set(r.hash, [...(goneByHash.get(r.hash) ?? []), r])
  for (const seen of created) {
    const from = goneByHash.get(seen.hash)?.find((r) => !used.has(r.id))
    if (from === undefined) continue
    used.add(from.id)
    pairs.push({ from, to: seen })
  }
  const restCreated = created.filter((c) => !pairs.some((p) => p.to === c))
  const restGone = [...gone.values()].filter((r) => !used.has(r.id) && r.kind === 'text')
  if (restCreated.length === 0 || restGone.length === 0) return pairs
  const scored: Array<{ from: FileRecord; to: Seen; score: number }> = []
  for (const from of restGone) {
    const entry = entries.get(from.id)
    if (entry?.kind !== 'text') continue
    const before = await textAtRecord(ctx, entry.url, from.heads)
    if (before === undefined) continue
    for (const to of restCreated) {
      const after = asText(ctx, to.bytes)
      if (after !== undefined) scored.push({ from, to, score: similarity(before, after) })
    }
  }
  scored.sort((a, b) => b.score - a.score)
  const taken = new Set<Seen>()
  for (const { from, to, score } of scored) {
    if (score < 0.5 || used.has(from.id) || taken.has(to)) continue
    used.add(from.id)
    taken.add(to)
    pairs.push({ from, to })
  }
  return pairs
}

/**
 * How much of the shorter text the two share at their start and end (a file appended to while moved keeps
 * all of its old text), with the share of the longer one to order equally good matches.
 */
function similarity(a: string, b: string): number {
  const max = Math.max(a.length, b.length)
  const min = Math.min(a.length, b.length)
  if (max === 0) return 1
  let prefix = 0
  while (prefix < min && a[prefix] === b[prefix]) prefix++
  let suffix = 0
  while (suffix < min - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++
  const common = prefix + suffix
  return common === 0 ? 0 : common / min + common / max / 1000
}

/** A text document's content at the recorded heads (what the file held), or undefined. */
async function textAtRecord(ctx: SyncContext, url: string, heads: readonly string[] | undefined): Promise<string | undefined> {
  const handle = await ctx.handle<TextDoc>(url)
  if (handle === undefined || heads === undefined) return undefined
  try {
    const content = (A.view(handle.doc(), decodeHeads(heads as UrlHeads)) as { content?: unknown }).content
    return typeof content === 'string' ? content : undefined
  } catch {
    return undefined
  }
}

async function applyEdit(ctx: SyncContext, seen: Seen, record: FileRecord, batch: Batch): Promise<void> {
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
async function createEntry(ctx: SyncContext, seen: Seen, batch: Batch): Promise<void> {
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
  if (handle !== undefined) record.heads = [...handle.heads()]
  batch.creates.push({ file, path: seen.path, record })
  batch.paths.add(seen.path)
  batch.bytes += seen.bytes.length
}

function createFolder(ctx: SyncContext, path: string, batch: Batch): void {
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

function liveEntries(ctx: SyncContext, doc: ProjectDoc = ctx.project.doc()): Map<string, FileEntry> {
  const read = readProject(doc)
  return new Map(read.ok ? read.value.files.map((e) => [e.id, e]) : [])
}

/** The text of UTF-8 bytes without NUL up to the text limit, or undefined for a binary or large file. */
function asText(ctx: SyncContext, bytes: Uint8Array): string | undefined {
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

async function readText(file: string): Promise<string | undefined> {
  const bytes = await readRegular(file).catch(() => undefined)
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes)
}
