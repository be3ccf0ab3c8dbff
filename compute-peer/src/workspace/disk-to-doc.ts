/**
 * Disk to documents, one batch of paths at a time (the paths that changed during one quiet period, or all
 * of them on a rescan). Each path is looked at as it is now, never from the event's type, so an editor's
 * save by temporary file and rename is an edit, a touch is nothing (same hash), and our own writes are
 * nothing. A file gone and a file new with the same content (or a similar text) in one batch are a rename.
 */
import { deleteFile, renameFile, type FileEntry, type ProjectDoc } from '@quire/crdt'
import { lstatSync, promises as fs } from 'node:fs'
import { join } from 'node:path'
import type { SyncContext } from './context.js'
import { applyEdit, asText, changeEach, commitBatch, createEntry, createFolder, liveEntries, sameStat, statOf, type Batch, type Seen } from './disk-apply.js'
import { inspect, inspectSync, readRegular, sha256Hex, type DiskEntry } from './disk-io.js'
import { pairRenames, type Move } from './disk-renames.js'
import { IGNORE_FILE, nameProblem } from './names.js'
import { scanWorkspace } from './scan.js'
import type { FileRecord } from './state-store.js'

/** How a batch is read. */
export interface ReadOptions {
  /**
   * A full rescan: every path is in the batch already (no sibling listing), and a file whose size, mtime and
   * ctime are what its record saw is not read (W22).
   */
  readonly rescan?: boolean
}

/** Reads the paths and makes document changes of what differs from the records. */
export async function readDisk(ctx: SyncContext, paths: Iterable<string>, options: ReadOptions = {}): Promise<void> {
  // Files a rescan finds unchanged by their stat are done already; a recorded folder's listing must not bring them back.
  const done = new Set<string>()
  const unique = paths instanceof Set ? (paths as Set<string>) : new Set(paths)
  const queue = options.rescan === true ? await unchangedLeftOut(ctx, unique, done) : await withSiblings(ctx, unique)
  if (queue.includes(IGNORE_FILE)) ctx.rules.load(await readText(join(ctx.root, IGNORE_FILE)))
  const created: Seen[] = []
  const changed: Array<Seen & { record: FileRecord }> = []
  const gone = new Map<string, FileRecord>()
  const emptyDirs: string[] = []
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
  const moved = await applyMoves(ctx, await pairRenames(ctx, [...created, ...changed], gone, entries), entries, gone)
  for (const seen of changed) if (!moved.has(seen)) await applyEdit(ctx, seen, seen.record, batch)
  for (const seen of moved.values()) if (seen.hash !== seen.record.hash) await applyEdit(ctx, seen, seen.record, batch)
  for (const seen of created) if (!moved.has(seen)) await createEntry(ctx, seen, batch)
  for (const seen of moved.values()) await followReplaced(ctx, seen, entries)
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
  const deleted = commitBatch(ctx, batch, deletes)
  // An edit made before its member saw the deletion may still be on its way: it brings the entry back (W33).
  for (const record of deletes) {
    const entry = entries.get(record.id)
    if (deleted.has(record.id) && (entry?.kind === 'text' || entry?.kind === 'notebook')) ctx.lateEdits.remember(entry, record.heads ?? [])
  }
}

/** A file read as moved: its entry's record, and the record of the entry whose file it replaced (W32). */
type Moved = Seen & { record: FileRecord; over?: FileRecord }

/**
 * A text file moved over another text file's path: the replaced document's edits since its file was last
 * written, and those still on their way, are carried into the moved entry (W35).
 */
async function followReplaced(ctx: SyncContext, seen: Moved, entries: Map<string, FileEntry>): Promise<void> {
  const over = seen.over === undefined ? undefined : entries.get(seen.over.id)
  const moved = entries.get(seen.record.id)
  const record = ctx.records.get(seen.record.id)
  // The moved entry's record must hold the bytes just read, so its heads hold the text the file has.
  if (over?.kind !== 'text' || moved?.kind !== 'text' || record?.hash !== seen.hash || record.heads === undefined) return
  const text = asText(ctx, seen.bytes)
  if (text === undefined) return
  await ctx.lateEdits.follow(ctx, { url: over.url, heads: seen.over!.heads }, moved.url, record.heads, text)
}

/**
 * Renames the entries of files moved on disk, in one project change (W21). A file moved over another
 * file's path replaces that file's entry (W32): the moved entry keeps its id and document, so a member's edit
 * of it that arrives later is written to the new path. Returns the files read as moved, each with the
 * edit still to apply to its moved entry (the same bytes as recorded apply as nothing).
 */
async function applyMoves(ctx: SyncContext, pairs: readonly Move[], entries: Map<string, FileEntry>, gone: Map<string, FileRecord>): Promise<Map<Seen, Moved>> {
  const out = new Map<Seen, Moved>()
  const moves = pairs.filter(({ from }) => entries.has(from.id))
  if (moves.length === 0) return out
  const done = changeEach(ctx, moves.map(({ from, to, over }) => ({
    path: to.path,
    apply: (doc: ProjectDoc) => {
      // Checked before anything changes: a refused move must not leave the replaced entry deleted.
      const live = liveEntries(ctx, doc)
      if (!live.has(from.id)) throw new Error('its entry was deleted meanwhile')
      if ([...live.values()].some((e) => e.id !== from.id && e.id !== over?.id && e.path === to.path)) throw new Error(`"${to.path}" is taken`)
      if (over !== undefined && live.has(over.id)) deleteFile(doc, over.id)
      renameFile(doc, from.id, to.path)
    },
  })))
  moves.forEach(({ from, to, over }, i) => {
    if (!done[i]) return
    if (over !== undefined) ctx.records.delete(over.id)
    ctx.records.set({ ...from, path: to.path, ...to.stat })
    gone.delete(from.id)
    ctx.stats.changesFromDisk++
    const record = ctx.records.get(from.id)!
    out.set(to, { ...to, record, ...(over !== undefined ? { over } : {}) })
  })
  return out
}

/**
 * A rescan's paths without the recorded files whose size, mtime and ctime are as recorded (W22), which go
 * into `unchanged`: those need nothing more, so the 100,000 files of an unchanged project cost one synchronous lstat each, 1,000 between
 * turns of the event loop, and nothing else. A recorded path passed the name checks when it was recorded.
 */
async function unchangedLeftOut(ctx: SyncContext, paths: Set<string>, unchanged: Set<string>): Promise<string[]> {
  const out: string[] = []
  let n = 0
  for (const path of paths) {
    if (++n % 1000 === 0) await new Promise((r) => setImmediate(r))
    const record = ctx.records.atPath(path)
    if (record !== undefined && record.kind !== 'folder') {
      let stats
      try {
        stats = lstatSync(`${ctx.root}/${path}`, { bigint: true, throwIfNoEntry: false }) // paths are relative and normalised
      } catch {
        stats = undefined // looked at again below, which reports the error
      }
      if (stats?.isFile() === true && sameStat(record, stats)) {
        ctx.stats.statOnly++
        unchanged.add(path)
        continue
      }
    }
    out.push(path)
  }
  return out
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


async function readText(file: string): Promise<string | undefined> {
  const bytes = await readRegular(file).catch(() => undefined)
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes)
}
