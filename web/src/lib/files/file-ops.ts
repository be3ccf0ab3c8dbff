/**
 * File operations behind the file tree: create, rename or move, delete, upload. Each goes through
 * @quire/crdt's project operations, which check paths and conflicts and throw without changing anything.
 */
import * as A from '@automerge/automerge'
import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo'
import {
  CodedError,
  addFile,
  createNotebook,
  createText,
  deleteFile,
  deletePath,
  importIpynb,
  isValidPath,
  readProject,
  renameFile,
  renamePath,
  setBlob,
  setText,
  type FileEntry,
  type ProjectDoc,
  type TextDoc,
} from '@quire/crdt'
import { chooseMime, textContentOf } from './file-kinds.js'

/** Content-addressed blob storage, provided by the app (over the blob protocol and local storage). */
export interface BlobStore {
  /** The bytes of a blob by its sha-256 hex; rejects when no peer has it. */
  get(hash: string): Promise<Uint8Array>
  /** Stores bytes and resolves to their sha-256 hex. */
  put(bytes: Uint8Array, mime: string): Promise<string>
}

/** What the file operations need: the project, the repo to create and open documents, blobs, and who. */
export interface FileContext {
  readonly repo: Repo
  readonly project: DocHandle<unknown>
  readonly blobs: BlobStore
  readonly self: { readonly peerId: string }
}

export type FileOpErrorCode = 'FILE_EXISTS' | 'PROJECT_UNREADABLE' | 'BLOB_INVALID'

export class FileOpError extends CodedError<FileOpErrorCode> {}

/** One file to upload: its path relative to the target folder (a plain name, or `dir/name` from a folder). */
export interface UploadInput {
  readonly path: string
  readonly bytes: Uint8Array
  /** The type the browser reported, if any. */
  readonly type?: string
}

/** What an upload did with one file. */
export interface UploadResult {
  readonly path: string
  readonly id: string
  readonly stored: 'text' | 'notebook' | 'blob'
  readonly replaced: boolean
  /** What the user should know: a `.ipynb` that is not a valid notebook was kept as text, and why. */
  readonly problem?: string
}

/** Joins a folder path (`''` for the root) and a relative path. */
export function joinPath(folder: string, name: string): string {
  return folder === '' ? name : `${folder}/${name}`
}

function changeProject(ctx: FileContext, fn: (doc: ProjectDoc) => void): void {
  ctx.project.change((doc) => fn(doc as unknown as ProjectDoc))
}

/** The project's readable entries (throws PROJECT_UNREADABLE when the document is not a project). */
export function projectFiles(project: DocHandle<unknown>): readonly FileEntry[] {
  const read = readProject(project.doc())
  if (!read.ok) throw new FileOpError('PROJECT_UNREADABLE', `${read.error.message} Reload the project or ask its owner.`)
  return read.value.files
}

async function newDocument(ctx: FileContext, doc: A.Doc<unknown>): Promise<DocHandle<unknown>> {
  // import keeps the document exactly as built (repo.create would copy it through Automerge.from).
  const handle = ctx.repo.import<unknown>(A.save(doc))
  await handle.whenReady()
  return handle
}

/**
 * The kernel a new notebook names until a writer picks another (the compute peer's default, ipykernel's
 * own kernelspec), so that its `.ipynb` export opens in Jupyter without asking for a kernel.
 */
const NEW_NOTEBOOK_KERNEL = { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }

/** Creates an empty file: a notebook for `.ipynb`, a text document otherwise. Returns its id. */
export async function createFile(ctx: FileContext, path: string): Promise<string> {
  requireFreePath(ctx, path)
  const notebook = path.toLowerCase().endsWith('.ipynb')
  const handle = await newDocument(ctx, notebook ? (createNotebook({ kernelspec: NEW_NOTEBOOK_KERNEL }) as A.Doc<unknown>) : (createText('') as A.Doc<unknown>))
  let id = ''
  changeProject(ctx, (doc) => {
    id = addFile(doc, { path, kind: notebook ? 'notebook' : 'text', url: handle.url, createdBy: ctx.self.peerId })
  })
  return id
}

export function createFolder(ctx: FileContext, path: string): string {
  let id = ''
  changeProject(ctx, (doc) => {
    id = addFile(doc, { path, kind: 'folder', createdBy: ctx.self.peerId })
  })
  return id
}

/** Renames or moves a file entry (by id, so a conflict copy moves on its own). */
export function moveFile(ctx: FileContext, id: string, newPath: string): void {
  changeProject(ctx, (doc) => renameFile(doc, id, newPath))
}

/** Renames or moves a folder with everything in it (folders may exist only because files are in them). */
export function moveFolder(ctx: FileContext, path: string, newPath: string): void {
  changeProject(ctx, (doc) => renamePath(doc, path, newPath))
}

export function deleteEntry(ctx: FileContext, id: string): void {
  changeProject(ctx, (doc) => deleteFile(doc, id))
}

export function deleteFolder(ctx: FileContext, path: string): void {
  changeProject(ctx, (doc) => deletePath(doc, path))
}

function requireFreePath(ctx: FileContext, path: string): void {
  if (!isValidPath(path)) return // addFile explains what is wrong with it
  if (projectFiles(ctx.project).some((e) => e.path === path)) {
    throw new FileOpError('FILE_EXISTS', `"${path}" already exists; pick another name or delete it first.`)
  }
}

/**
 * Uploads files into `folder`. Text becomes a text document (a notebook for a valid `.ipynb`), anything else
 * a blob. Uploading onto an existing file of the same kind replaces its content (a minimal text diff for
 * text, so concurrent edits elsewhere in it survive).
 */
export async function uploadFiles(ctx: FileContext, folder: string, files: readonly UploadInput[]): Promise<UploadResult[]> {
  const results: UploadResult[] = []
  for (const file of files) results.push(await uploadOne(ctx, joinPath(folder, file.path), file))
  return results
}

async function uploadOne(ctx: FileContext, path: string, file: UploadInput): Promise<UploadResult> {
  const mime = chooseMime(path, file.type)
  const text = textContentOf(file.bytes, mime)
  const existing = projectFiles(ctx.project).find((e) => e.path === path && e.kind !== 'folder')
  let problem: string | undefined
  if (text !== undefined && path.toLowerCase().endsWith('.ipynb') && existing === undefined) {
    const notebook = tryImportIpynb(text)
    if (typeof notebook === 'string') problem = `${path} is not a valid notebook (${notebook}); it was kept as a text file, which you can open and repair.`
    else {
      const handle = await newDocument(ctx, notebook)
      let id = ''
      changeProject(ctx, (doc) => {
        id = addFile(doc, { path, kind: 'notebook', url: handle.url, createdBy: ctx.self.peerId })
      })
      return { path, id, stored: 'notebook', replaced: false }
    }
  }
  if (text !== undefined && (existing === undefined || existing.kind === 'text')) {
    if (existing?.kind === 'text') {
      const handle = await ctx.repo.find<unknown>(existing.url as AutomergeUrl)
      handle.change((doc) => setText(doc as unknown as TextDoc, text))
      return { path, id: existing.id, stored: 'text', replaced: true }
    }
    const handle = await newDocument(ctx, createText(text) as A.Doc<unknown>)
    let id = ''
    changeProject(ctx, (doc) => {
      id = addFile(doc, { path, kind: 'text', url: handle.url, createdBy: ctx.self.peerId })
    })
    return { path, id, stored: 'text', replaced: false, ...(problem !== undefined && { problem }) }
  }
  if (existing !== undefined && existing.kind !== 'blob') {
    throw new FileOpError('FILE_EXISTS', `"${path}" already exists as a ${existing.kind} file; rename or delete it before uploading this binary file.`)
  }
  const sha256 = await ctx.blobs.put(file.bytes, mime)
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new FileOpError('BLOB_INVALID', 'The blob store did not return a sha-256 for the upload; try again.')
  }
  const blob = { sha256, size: file.bytes.length, mime }
  if (existing?.kind === 'blob') {
    changeProject(ctx, (doc) => setBlob(doc, existing.id, blob))
    return { path, id: existing.id, stored: 'blob', replaced: true }
  }
  let id = ''
  changeProject(ctx, (doc) => {
    id = addFile(doc, { path, kind: 'blob', ...blob, createdBy: ctx.self.peerId })
  })
  return { path, id, stored: 'blob', replaced: false }
}

/** The notebook, or why the text is not one (the importer's problems, cut short). */
function tryImportIpynb(text: string): A.Doc<unknown> | string {
  try {
    return importIpynb(text) as A.Doc<unknown>
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    return why.length > 300 ? `${why.slice(0, 300)}…` : why
  }
}
