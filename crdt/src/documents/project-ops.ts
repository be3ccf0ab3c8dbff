/**
 * Operations on a project document. Each runs inside `Automerge.change` (or `handle.change`) on the
 * document proxy, checks its arguments against the current state, and throws `INVALID_ARGUMENT` or
 * `UNKNOWN_FILE` without changing anything when they do not fit.
 */
import * as A from '@automerge/automerge'
import { CrdtError } from '../errors.js'
import { isRecord, asString } from '../read/guards.js'
import { atom, newId, requireId, requirePeerId, requireTime, requireUrl } from './atoms.js'
import { ancestorPaths, isAtOrUnder, requirePath } from './paths.js'
import { isMime, readFileEntry, type RawFileEntry } from './project-read.js'
import { requireName, storedRelays, type ProjectDoc, type ProjectSettings, type StoredFileEntry } from './project-schema.js'

/** A blob's content address and type. */
export interface BlobRef {
  /** Lowercase hex sha-256 of the content. */
  readonly sha256: string
  readonly size: number
  readonly mime: string
}

/** What `addFile` needs: where, what kind, and what it points to. */
export type NewFile = {
  /** A stable id for the entry; a random one by default. */
  readonly id?: string
  readonly path: string
  /** Milliseconds since 1970; defaults to now. Decides which of two concurrent files keeps a path. */
  readonly createdAt?: number
  /** Peer id of whoever adds the file. */
  readonly createdBy?: string
  readonly chatUrl?: string | null
} & ({ readonly kind: 'text' | 'notebook'; readonly url: string } | ({ readonly kind: 'blob' } & BlobRef) | { readonly kind: 'folder' })

/** Adds a file or folder; returns its id. Its parent folders need not exist (they are implied). */
export function addFile(doc: ProjectDoc, file: NewFile): string {
  const path = requirePath(file.path)
  const live = liveEntries(doc)
  requireFree(live, [path], new Set(), file.kind === 'folder')
  return addChecked(doc, file, path)
}

/** Adds a file whose path was checked against the live entries. */
function addChecked(doc: ProjectDoc, file: NewFile, path: string): string {
  const files = filesOf(doc)
  const id = file.id === undefined ? newId() : requireId(file.id, 'A file id')
  if (files[id] !== undefined) throw new CrdtError('INVALID_ARGUMENT', `A file with id "${id}" already exists; pick another id.`)
  const entry: StoredFileEntry = { path: atom(path), kind: atom(file.kind), createdAt: requireTime(file.createdAt ?? Date.now(), 'createdAt') }
  if (file.createdBy !== undefined) entry.createdBy = atom(requirePeerId(file.createdBy, 'createdBy'))
  if (file.chatUrl != null) entry.chatUrl = atom(requireUrl(file.chatUrl, 'chatUrl'))
  if (file.kind === 'text' || file.kind === 'notebook') entry.url = atom(requireUrl(file.url, `A ${file.kind} file's url`))
  else if (file.kind === 'blob') Object.assign(entry, storedBlob(file))
  else if (file.kind !== 'folder') throw new CrdtError('INVALID_ARGUMENT', 'A file kind must be text, notebook, blob or folder.')
  files[id] = entry
  return id
}

/**
 * Adds many files in one change, checking each against the entries before it and the ones added so far as
 * `addFile` does, but reading the document's entries once (`addFile` in a loop reads them per file). Returns,
 * per file, its id or the error that refused it; a refused file changes nothing and the rest are added.
 */
export function addFiles(doc: ProjectDoc, files: readonly NewFile[]): Array<string | CrdtError> {
  const taken = new Set<string>()
  const filePaths = new Set<string>()
  const dirs = new Set<string>()
  const note = (path: string, kind: string): void => {
    taken.add(path)
    if (kind !== 'folder') filePaths.add(path)
    for (const dir of ancestorPaths(path)) dirs.add(dir)
  }
  for (const e of liveEntries(doc)) note(e.path, e.kind)
  return files.map((file) => {
    try {
      const path = requirePath(file.path)
      if (taken.has(path) || (file.kind !== 'folder' && dirs.has(path))) {
        throw new CrdtError('INVALID_ARGUMENT', `"${path}" already exists; pick another name or delete it first.`)
      }
      const fileAbove = ancestorPaths(path).find((dir) => filePaths.has(dir))
      if (fileAbove !== undefined) throw new CrdtError('INVALID_ARGUMENT', `"${fileAbove}" is a file, so "${path}" cannot be inside it.`)
      // The checks are done: addFile's own (which reads every entry) would find the same.
      const id = addChecked(doc, file, path)
      note(path, file.kind)
      return id
    } catch (err) {
      if (err instanceof CrdtError) return err
      throw err
    }
  })
}

/**
 * Moves or renames the entry `id` to `newPath`. A folder moves with everything at or under its path.
 * Concurrent renames of one entry leave it at one of the new paths (last writer wins).
 */
export function renameFile(doc: ProjectDoc, id: string, newPath: string): void {
  const entry = liveEntries(doc).find((e) => e.id === id)
  if (!entry) throw unknownFile(id)
  if (entry.kind === 'folder') renamePath(doc, entry.path, newPath)
  else moveEntries(doc, [entry], entry.path, newPath)
}

/** Moves everything at or under `fromPath` (a file, or a folder that may exist only implicitly) to `toPath`. */
export function renamePath(doc: ProjectDoc, fromPath: string, toPath: string): void {
  requirePath(fromPath)
  const moved = selectPath(liveEntries(doc), fromPath)
  if (moved.length === 0) throw unknownFile(fromPath)
  moveEntries(doc, moved, fromPath, toPath)
}

function moveEntries(doc: ProjectDoc, moved: RawFileEntry[], fromPath: string, toPath: string): void {
  requirePath(toPath)
  if (toPath === fromPath) return
  if (isAtOrUnder(toPath, fromPath)) {
    throw new CrdtError('INVALID_ARGUMENT', `Cannot move "${fromPath}" into itself ("${toPath}").`)
  }
  const movedIds = new Set(moved.map((e) => e.id))
  const targets = moved.map((e) => toPath + e.path.slice(fromPath.length))
  // The destination itself must be free too: moving onto an existing folder would merge two folders.
  requireFree(liveEntries(doc), [toPath, ...targets], movedIds)
  const files = filesOf(doc)
  moved.forEach((e, i) => {
    files[e.id]!.path = atom(targets[i]!)
  })
}

/** Deletes the entry `id`; a folder goes with everything at or under its path. Broken entries can be deleted too. */
export function deleteFile(doc: ProjectDoc, id: string): void {
  const files = filesOf(doc)
  if (!Object.prototype.hasOwnProperty.call(files, id)) throw unknownFile(id)
  const entry = readFileEntry(id, files[id], [])
  if ('kind' in entry && entry.kind === 'folder') deletePath(doc, entry.path)
  else delete files[id]
}

/**
 * Deletes everything at or under `path`. A file added under it concurrently survives (nothing a peer could
 * not see is deleted); it then shows under a folder of that name again.
 */
export function deletePath(doc: ProjectDoc, path: string): void {
  requirePath(path)
  const doomed = selectPath(liveEntries(doc), path)
  if (doomed.length === 0) throw unknownFile(path)
  const files = filesOf(doc)
  for (const e of doomed) delete files[e.id]
}

/** Points a blob entry at new content (e.g. the workspace file changed). */
export function setBlob(doc: ProjectDoc, id: string, blob: BlobRef): void {
  const entry = liveEntries(doc).find((e) => e.id === id)
  if (!entry) throw unknownFile(id)
  if (entry.kind !== 'blob') throw new CrdtError('INVALID_ARGUMENT', `"${entry.path}" is a ${entry.kind}, not a blob.`)
  const stored = storedBlob(blob)
  const target = filesOf(doc)[id]!
  target.sha256 = stored.sha256
  target.size = stored.size
  target.mime = stored.mime
}

/** Links a file to its own chat document, or unlinks it with `null`. */
export function setFileChat(doc: ProjectDoc, id: string, chatUrl: string | null): void {
  if (!liveEntries(doc).some((e) => e.id === id)) throw unknownFile(id)
  filesOf(doc)[id]!.chatUrl = chatUrl === null ? null : atom(requireUrl(chatUrl, 'chatUrl'))
}

export function setProjectName(doc: ProjectDoc, name: string): void {
  doc.name = atom(requireName(name))
}

/** Replaces the description with a minimal text diff, so concurrent edits elsewhere in it survive. */
export function setDescription(doc: ProjectDoc, description: string): void {
  if (typeof description !== 'string') throw new CrdtError('INVALID_ARGUMENT', 'A project description must be a string.')
  if (typeof (doc as { description?: unknown }).description !== 'string') doc.description = description
  else A.updateText(doc, ['description'], description)
}

/**
 * Changes the given settings and leaves the others alone. `pinnedRelays` is set-like: relays not listed are
 * unpinned and new ones appended, so a relay pinned concurrently by someone else is kept.
 */
export function setSettings(doc: ProjectDoc, patch: Partial<ProjectSettings>): void {
  if (!isRecord(patch)) throw new CrdtError('INVALID_ARGUMENT', 'setSettings needs an object of settings to change.')
  if (patch.networkAccess !== undefined && typeof patch.networkAccess !== 'boolean') {
    throw new CrdtError('INVALID_ARGUMENT', 'networkAccess must be true or false.')
  }
  const compute = patch.computePeer === undefined || patch.computePeer === null ? patch.computePeer : atom(requirePeerId(patch.computePeer, 'The compute peer'))
  const relays = patch.pinnedRelays === undefined ? undefined : storedRelays(patch.pinnedRelays)
  if (!isRecord(doc.settings) || !Array.isArray(doc.settings.pinnedRelays)) {
    doc.settings = { computePeer: null, pinnedRelays: [], networkAccess: false }
  }
  const settings = doc.settings
  if (compute !== undefined) settings.computePeer = compute
  if (patch.networkAccess !== undefined) settings.networkAccess = patch.networkAccess
  if (relays !== undefined) {
    const wanted = new Set(relays.map((r) => r.val))
    for (let i = settings.pinnedRelays.length - 1; i >= 0; i--) {
      const current = asString(settings.pinnedRelays[i])
      if (current === undefined || !wanted.has(current)) settings.pinnedRelays.splice(i, 1)
      else wanted.delete(current)
    }
    for (const r of relays) if (wanted.has(r.val)) settings.pinnedRelays.push(r)
  }
}

/** Sets the links to the project's grants and chat documents (a `null` removes a link). */
export function setProjectLinks(doc: ProjectDoc, links: { grantsUrl?: string | null; chatUrl?: string | null }): void {
  if (links.grantsUrl !== undefined) doc.grantsUrl = links.grantsUrl === null ? null : atom(requireUrl(links.grantsUrl, 'grantsUrl'))
  if (links.chatUrl !== undefined) doc.chatUrl = links.chatUrl === null ? null : atom(requireUrl(links.chatUrl, 'chatUrl'))
}

/**
 * The entries a path names. When it names a folder (a folder entry is there, or entries are under it), that
 * is the folder entries at the path and everything under it; a file left at the same path by a concurrent
 * create is a different thing and stays. Otherwise it is the file(s) at exactly that path.
 */
function selectPath(live: readonly RawFileEntry[], path: string): RawFileEntry[] {
  const under = live.filter((e) => isAtOrUnder(e.path, path) && (e.path !== path || e.kind === 'folder'))
  return under.length > 0 ? under : live.filter((e) => e.path === path)
}

function filesOf(doc: ProjectDoc): Record<string, StoredFileEntry> {
  if (!isRecord(doc.files)) doc.files = {}
  return doc.files
}

function liveEntries(doc: ProjectDoc): RawFileEntry[] {
  const files = isRecord(doc.files) ? doc.files : {}
  const out: RawFileEntry[] = []
  for (const id of Object.keys(files)) {
    const entry = readFileEntry(id, files[id], [])
    if ('kind' in entry) out.push(entry)
  }
  return out
}

/**
 * Refuses targets already taken by entries that are not moving: the same path, a file where a folder
 * is needed (an ancestor), or anything under a target (a folder where a file or a moved folder goes).
 */
function requireFree(live: readonly RawFileEntry[], targets: readonly string[], moving: ReadonlySet<string>, newFolder = false): void {
  const staying = live.filter((e) => !moving.has(e.id))
  for (const target of targets) {
    for (const e of staying) {
      // A new folder may name a folder that so far exists only because files are in it.
      if (e.path === target || (!newFolder && e.path.startsWith(target + '/'))) {
        throw new CrdtError('INVALID_ARGUMENT', `"${target}" already exists; pick another name or delete it first.`)
      }
      if (e.kind !== 'folder' && ancestorPaths(target).includes(e.path)) {
        throw new CrdtError('INVALID_ARGUMENT', `"${e.path}" is a file, so "${target}" cannot be inside it.`)
      }
    }
  }
}

function storedBlob(blob: BlobRef): Pick<StoredFileEntry, 'sha256' | 'size' | 'mime'> {
  if (typeof blob.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(blob.sha256)) {
    throw new CrdtError('INVALID_ARGUMENT', 'A blob needs its sha-256 as 64 lowercase hex characters.')
  }
  if (!Number.isSafeInteger(blob.size) || blob.size < 0) throw new CrdtError('INVALID_ARGUMENT', 'A blob size must be an integer >= 0.')
  if (typeof blob.mime !== 'string' || !isMime(blob.mime)) {
    throw new CrdtError('INVALID_ARGUMENT', 'A blob needs a MIME type such as "image/png" or "application/octet-stream".')
  }
  return { sha256: atom(blob.sha256), size: blob.size, mime: atom(blob.mime) }
}

function unknownFile(idOrPath: string): CrdtError {
  return new CrdtError('UNKNOWN_FILE', `No file "${String(idOrPath).slice(0, 120)}" in this project; it may have been moved or deleted. Refresh the file list.`)
}
