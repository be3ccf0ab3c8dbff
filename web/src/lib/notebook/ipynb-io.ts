/**
 * .ipynb files in and out of the UI. Import parses a file into a new notebook document (the app decides
 * where it goes); export fetches the blobs that outputs refer to first, because `exportIpynb` resolves
 * blobs synchronously, then serializes as Jupyter does (one-space indent, trailing newline).
 */
import { save } from '@automerge/automerge'
import { CodedError, exportIpynb, importIpynb, readNotebook, type MimeBundle, type NotebookDoc } from '@quire/crdt'
import { saveBytes } from '../files/save-bytes.js'
import { isBlobRef } from './output-mime.js'
import type { BlobStore, ImportedNotebook } from './types.js'

export type NotebookIoErrorCode = 'IPYNB_READ_FAILED'

/** A file could not be read; the message says what to do. */
export class NotebookIoError extends CodedError<NotebookIoErrorCode> {}

/**
 * Parses the text of a .ipynb file into a new notebook document. Throws the `INVALID_NOTEBOOK` error of
 * `importIpynb` (its message names the faulty path) for a file that is not a notebook.
 */
export function importNotebookText(text: string, fileName: string): ImportedNotebook {
  const doc = importIpynb(text)
  return { name: fileName.replace(/\.ipynb$/i, '') || 'Untitled', bytes: save(doc) }
}

/** Reads a File chosen by the user, then imports it. */
export async function importNotebookFile(file: Blob & { readonly name: string }): Promise<ImportedNotebook> {
  let text: string
  try {
    text = await file.text()
  } catch (cause) {
    throw new NotebookIoError('IPYNB_READ_FAILED', `Could not read ${file.name}: choose the file again, or check that it is readable.`, { cause })
  }
  return importNotebookText(text, file.name)
}

/** The blob hashes the outputs and attachments of a notebook refer to, each once. */
export function referencedBlobs(doc: unknown): Map<string, string> {
  const found = new Map<string, string>()
  const visit = (bundle: MimeBundle): void => {
    for (const [mime, value] of Object.entries(bundle)) if (isBlobRef(value)) found.set(value.blob, mime)
  }
  for (const cell of readNotebook(doc).cells) {
    if (cell.cellType === 'code') {
      for (const output of cell.outputs) if (output.output_type === 'display_data' || output.output_type === 'execute_result') visit(output.data)
    } else if (cell.cellType !== 'broken') {
      for (const bundle of Object.values(cell.attachments)) visit(bundle)
    }
  }
  return found
}

/**
 * The .ipynb text of a notebook. Blobs are fetched through `blobs`; a blob no peer can give is left out
 * with the placeholder note `exportIpynb` writes, so an export never fails for lack of one image.
 */
export async function exportNotebookText(doc: unknown, blobs: Pick<BlobStore, 'get'> | undefined): Promise<string> {
  const contents = new Map<string, string>()
  if (blobs) {
    await Promise.all(
      [...referencedBlobs(doc)].map(async ([hash, mime]) => {
        try {
          contents.set(hash, encodeForIpynb(mime, await blobs.get(hash)))
        } catch {
          // Left out: exportIpynb writes where the data was and why it is missing.
        }
      }),
    )
  }
  const notebook = exportIpynb(doc, { resolveBlob: (hash) => contents.get(hash) })
  return `${JSON.stringify(notebook, null, 1)}\n`
}

/** Text types and JSON as text; everything else (images) as base64, as nbformat stores them. */
export function encodeForIpynb(mime: string, bytes: Uint8Array): string {
  const textual = mime.startsWith('text/') || mime === 'image/svg+xml' || /^application\/(.*\+)?json$/.test(mime)
  return textual ? new TextDecoder().decode(bytes) : toBase64(bytes)
}

export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  const chunk = 0x8000
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk))
  return btoa(binary)
}

/** Offers text as a file download (browser only). */
export function downloadText(fileName: string, text: string, mime = 'application/x-ipynb+json'): void {
  saveBytes(fileName, new TextEncoder().encode(text), mime)
}

/** A file name for a notebook export. */
export function exportFileName(title: string | undefined): string {
  const base = (title ?? '').replace(/\.ipynb$/i, '').replace(/[\\/:*?"<>|\x00-\x1f]+/g, '_').trim()
  return `${base || 'notebook'}.ipynb`
}

/** Exports a notebook document and downloads it. */
export async function downloadNotebook(doc: NotebookDoc, blobs: Pick<BlobStore, 'get'> | undefined, title?: string): Promise<void> {
  downloadText(exportFileName(title), await exportNotebookText(doc, blobs))
}
