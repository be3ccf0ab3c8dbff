/**
 * Getting files out of a project: one file's bytes (text as UTF-8, a notebook as .ipynb with its output
 * blobs inlined, a blob as is) and the whole project as a zip.
 */
import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo'
import { exportIpynb, readNotebook, readText, type FileEntry, type MimeBundle } from '@quire/crdt'
import { zipSync, type Zippable } from 'fflate'
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
export async function notebookFile(blobs: BlobStore, doc: unknown): Promise<string> {
  const refs = notebookBlobRefs(doc)
  const contents = new Map<string, string>()
  await Promise.all(
    [...refs].map(async ([hash, mime]) => {
      try {
        contents.set(hash, blobAsIpynbString(await blobs.get(hash), mime))
      } catch {
        // Not available from any peer right now: export writes a placeholder that names the blob.
      }
    }),
  )
  return JSON.stringify(exportIpynb(doc, { resolveBlob: (hash) => contents.get(hash) }), null, 1) + '\n'
}

function notebookBlobRefs(doc: unknown): Map<string, string> {
  const refs = new Map<string, string>()
  const visit = (bundle: MimeBundle): void => {
    for (const [mime, value] of Object.entries(bundle)) {
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const blob = (value as { blob?: unknown }).blob
        if (typeof blob === 'string' && /^[0-9a-f]{64}$/.test(blob)) refs.set(blob, mime)
      }
    }
  }
  for (const cell of readNotebook(doc).cells) {
    if (cell.cellType === 'code') {
      for (const output of cell.outputs) if (output.output_type === 'display_data' || output.output_type === 'execute_result') visit(output.data)
    } else if (cell.cellType !== 'broken') {
      for (const bundle of Object.values(cell.attachments)) visit(bundle)
    }
  }
  return refs
}

/** What .ipynb stores for a mime type: text for text and JSON types, base64 for the rest. */
function blobAsIpynbString(bytes: Uint8Array, mime: string): string {
  if (mime.startsWith('text/') || mime === 'image/svg+xml' || mime === 'application/json' || mime.endsWith('+json')) {
    return new TextDecoder().decode(bytes)
  }
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
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

/** Makes the browser save `bytes` as a file named `name`. */
export function saveBytes(name: string, bytes: Uint8Array, mime = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: mime }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.rel = 'noopener'
  document.body.appendChild(a)
  a.click()
  a.remove()
  // Give the download a moment to start before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
