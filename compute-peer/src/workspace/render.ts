/**
 * A document as the bytes of its file: text as UTF-8, a notebook as nbformat 4.5 through the crdt package's
 * export (outputs included; output blobs inlined from the blob store, as Jupyter expects them in the file).
 */
import type { DocHandle, UrlHeads } from '@automerge/automerge-repo'
import { exportIpynb, readNotebook, readText, type MimeBundle, type NotebookDoc, type TextDoc } from '@quire/crdt'
import type { WorkspaceBlobs } from './types.js'

/** A document's file content and the heads it was made from. */
export interface Rendered {
  readonly bytes: Uint8Array
  readonly heads: UrlHeads
}

const encoder = new TextEncoder()

/** The text document's content; undefined when the document is not a readable text document. */
export function renderText(handle: DocHandle<TextDoc>): Rendered | undefined {
  const heads = handle.heads()
  const read = readText(handle.doc())
  if (!read.ok) return undefined
  return { bytes: encoder.encode(read.value.content), heads }
}

/** The notebook as a .ipynb file (one-space indent, as Jupyter writes it, and a final newline). */
export async function renderNotebook(handle: DocHandle<NotebookDoc>, blobs: WorkspaceBlobs): Promise<Rendered> {
  const heads = handle.heads()
  const doc = handle.doc()
  const resolved = await resolveOutputBlobs(doc, blobs)
  const notebook = exportIpynb(doc, { resolveBlob: (hash) => resolved.get(hash) })
  return { bytes: encoder.encode(`${JSON.stringify(notebook, null, 1)}\n`), heads }
}

/** The blobs a notebook's outputs and attachments reference, as the strings the export puts in the file. */
async function resolveOutputBlobs(doc: unknown, blobs: WorkspaceBlobs): Promise<Map<string, string>> {
  const refs = new Map<string, string>()
  const collect = (bundle: MimeBundle): void => {
    for (const value of Object.values(bundle)) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) continue
      const { blob, mime } = value as { blob?: unknown; mime?: unknown }
      if (typeof blob === 'string' && typeof mime === 'string') refs.set(blob, mime)
    }
  }
  for (const cell of readNotebook(doc).cells) {
    if (cell.cellType === 'code') {
      for (const output of cell.outputs) if ('data' in output) collect(output.data)
    } else if (cell.cellType !== 'broken') {
      for (const bundle of Object.values(cell.attachments)) collect(bundle)
    }
  }
  const out = new Map<string, string>()
  for (const [hash, mime] of refs) {
    const bytes = await blobs.get(hash).catch(() => undefined)
    if (bytes === undefined) continue // the export writes a placeholder and notes the blob (crdt I5)
    const textual = mime.startsWith('text/') || mime === 'image/svg+xml' || /^application\/(.*\+)?json$/.test(mime)
    out.set(hash, textual ? new TextDecoder().decode(bytes) : Buffer.from(bytes).toString('base64'))
  }
  return out
}
