/**
 * Getting files out of a project: one file's bytes (text as UTF-8, a notebook as .ipynb with its output
 * blobs inlined, a blob as is) and the whole project as a zip.
 */
import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo'
import { readText, type FileEntry } from '@quire/crdt'
import { zipSync, type Zippable } from 'fflate'
import { exportNotebookText } from '../notebook/ipynb-io.js'
import { FileOpError, type BlobStore } from './file-ops.js'

/** Where export reads from. */
export interface ExportContext {
  readonly repo: Repo
  readonly blobs: BlobStore
}

const encoder = new TextEncoder()

async function openDoc(repo: Repo, url: string): Promise<DocHandle<unknown>> {
  return repo.find<unknown>(url as AutomergeUrl)
}

/** The bytes of one file entry as it would be saved to disk. Folders have none. */
export async function fileBytes(ctx: ExportContext, entry: FileEntry): Promise<Uint8Array> {
  switch (entry.kind) {
    case 'folder':
      return new Uint8Array()
    case 'blob':
      return ctx.blobs.get(entry.sha256)
    case 'text': {
      const read = readText((await openDoc(ctx.repo, entry.url)).doc())
      if (!read.ok) throw new FileOpError('PROJECT_UNREADABLE', `"${entry.displayPath}" is not readable text: ${read.error.message}`)
      return encoder.encode(read.value.content)
    }
    case 'notebook': {
      const doc = (await openDoc(ctx.repo, entry.url)).doc()
      return encoder.encode(await notebookFile(ctx.blobs, doc))
    }
  }
}

/** A notebook as .ipynb text, with the blobs its outputs reference fetched and inlined where possible. */
export function notebookFile(blobs: BlobStore, doc: unknown): Promise<string> {
  return exportNotebookText(doc, blobs)
}

/** A file that could not be put into the zip, and why. */
export interface ZipProblem {
  readonly path: string
  readonly reason: string
}

/**
 * The project's files as a zip archive, by display path (conflict copies under their conflict names,
 * empty folders kept). Files that cannot be fetched are left out and reported, and a
 * `QUIRE-MISSING.txt` in the archive lists them.
 */
export async function projectZip(ctx: ExportContext, files: readonly FileEntry[]): Promise<{ zip: Uint8Array; problems: ZipProblem[] }> {
  const tree: Zippable = {}
  const problems: ZipProblem[] = []
  for (const entry of files) {
    if (entry.kind === 'folder') {
      tree[entry.displayPath + '/'] = new Uint8Array()
      continue
    }
    try {
      tree[entry.displayPath] = await fileBytes(ctx, entry)
    } catch (error) {
      problems.push({ path: entry.displayPath, reason: error instanceof Error ? error.message : String(error) })
    }
  }
  if (problems.length > 0) {
    tree['QUIRE-MISSING.txt'] = encoder.encode(problems.map((p) => `${p.path}: ${p.reason}`).join('\n') + '\n')
  }
  return { zip: zipSync(tree, { level: 6, mtime: new Date() }), problems }
}
