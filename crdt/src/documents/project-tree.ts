/**
 * Showing a project's files: deterministic conflict names for entries that share a path, and a sorted
 * folder tree. Both depend only on the document, so every peer shows the same thing.
 */
import { ancestorPaths, baseName, parentPath } from './paths.js'
import type { FileEntry, ProjectRead, RawFileEntry } from './project-read.js'

/**
 * Gives every entry a `displayPath`. Folder entries at one path merge into one folder. Among other entries
 * at one path, the earliest created (then the smallest id) keeps the path and the rest are shown as
 * `name (conflict <id>).ext`; if a folder is at that path too, all of them get conflict names.
 */
export function assignDisplayPaths(entries: readonly RawFileEntry[]): FileEntry[] {
  const folders = new Set<string>()
  const taken = new Set<string>()
  for (const entry of entries) {
    taken.add(entry.path)
    if (entry.kind === 'folder') folders.add(entry.path)
    for (const ancestor of ancestorPaths(entry.path)) folders.add(ancestor)
  }
  for (const folder of folders) taken.add(folder)

  const groups = new Map<string, RawFileEntry[]>()
  const out: FileEntry[] = []
  for (const entry of entries) {
    if (entry.kind === 'folder') {
      out.push({ ...entry, displayPath: entry.path, conflict: false })
      continue
    }
    const group = groups.get(entry.path)
    if (group) group.push(entry)
    else groups.set(entry.path, [entry])
  }
  for (const path of [...groups.keys()].sort(compareCodeUnits)) {
    const group = groups.get(path)!.sort(byCreation)
    group.forEach((entry, index) => {
      const keeps = index === 0 && !folders.has(path)
      const displayPath = keeps ? path : conflictPath(path, entry.id, taken)
      taken.add(displayPath)
      out.push({ ...entry, displayPath, conflict: !keeps } as FileEntry)
    })
  }
  return out.sort((a, b) => compareCodeUnits(a.displayPath, b.displayPath) || compareCodeUnits(a.id, b.id))
}

function byCreation(a: RawFileEntry, b: RawFileEntry): number {
  const ta = a.createdAt ?? Number.POSITIVE_INFINITY
  const tb = b.createdAt ?? Number.POSITIVE_INFINITY
  if (ta !== tb) return ta < tb ? -1 : 1
  return compareCodeUnits(a.id, b.id)
}

/** `dir/notes.md` -> `dir/notes (conflict 1a2b3c4d).md`, longer (then numbered) if that is taken. */
function conflictPath(path: string, id: string, taken: ReadonlySet<string>): string {
  const dir = parentPath(path)
  const name = baseName(path)
  const dot = name.lastIndexOf('.')
  const stem = dot > 0 ? name.slice(0, dot) : name
  const ext = dot > 0 ? name.slice(dot) : ''
  const make = (tag: string): string => (dir === '' ? '' : dir + '/') + `${stem} (conflict ${tag})${ext}`
  const short = make(id.slice(0, 8))
  if (!taken.has(short)) return short
  let candidate = make(id)
  for (let n = 2; taken.has(candidate); n++) candidate = make(`${id} ${n}`)
  return candidate
}

/** A locale-independent order, so that every peer sorts alike. */
export function compareCodeUnits(a: string, b: string): number {
  const la = a.toLowerCase()
  const lb = b.toLowerCase()
  if (la !== lb) return la < lb ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}

/** A folder in the tree from {@link listTree}; the root has `path` `''`. */
export interface FolderNode {
  readonly type: 'folder'
  readonly name: string
  readonly path: string
  /** Ids of folder entries at this path; empty for a folder that exists only because files are in it. */
  readonly folderIds: readonly string[]
  /** Folders first, then files, each by name. */
  readonly children: readonly TreeNode[]
}

/** A file (text, notebook or blob) in the tree from {@link listTree}. */
export interface FileNode {
  readonly type: 'file'
  readonly name: string
  /** The entry's display path. */
  readonly path: string
  readonly entry: FileEntry
}

export type TreeNode = FolderNode | FileNode

interface MutableFolder {
  name: string
  path: string
  folderIds: string[]
  folders: Map<string, MutableFolder>
  files: FileNode[]
}

/** The project's files as a sorted folder tree (by display path), rooted at the project root. */
export function listTree(read: Pick<ProjectRead, 'files'>): FolderNode {
  const root: MutableFolder = { name: '', path: '', folderIds: [], folders: new Map(), files: [] }
  const folderAt = (path: string): MutableFolder => {
    let node = root
    for (const segment of path.split('/')) {
      let next = node.folders.get(segment)
      if (!next) {
        next = { name: segment, path: node.path === '' ? segment : `${node.path}/${segment}`, folderIds: [], folders: new Map(), files: [] }
        node.folders.set(segment, next)
      }
      node = next
    }
    return node
  }
  for (const entry of read.files) {
    if (entry.kind === 'folder') {
      folderAt(entry.displayPath).folderIds.push(entry.id)
    } else {
      const parent = parentPath(entry.displayPath)
      const folder = parent === '' ? root : folderAt(parent)
      folder.files.push({ type: 'file', name: baseName(entry.displayPath), path: entry.displayPath, entry })
    }
  }
  return freeze(root)
}

function freeze(folder: MutableFolder): FolderNode {
  const folders = [...folder.folders.values()].sort((a, b) => compareCodeUnits(a.name, b.name)).map(freeze)
  const files = [...folder.files].sort((a, b) => compareCodeUnits(a.name, b.name) || compareCodeUnits(a.entry.id, b.entry.id))
  return {
    type: 'folder',
    name: folder.name,
    path: folder.path,
    folderIds: [...folder.folderIds].sort(compareCodeUnits),
    children: [...folders, ...files],
  }
}
