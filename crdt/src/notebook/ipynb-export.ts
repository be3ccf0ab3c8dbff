/**
 * .ipynb export: any value in, an nbformat 4.5 notebook out that validates against nbformat's schema (I4).
 * It goes through `readNotebook`, so junk never reaches the file: broken cells and outputs are left out,
 * and metadata fields that nbformat constrains are dropped when they break its rules (I6).
 */
import { isRecord } from '../read/guards.js'
import type { IpynbCell, IpynbMimeBundle, IpynbNotebook, IpynbOutput, MultilineString } from './ipynb-types.js'
import { NBFORMAT_MINOR } from './ipynb-import.js'
import { sanitizeCellMetadata, sanitizeNotebookMetadata } from './ipynb-metadata.js'
import { readNotebook } from './read-notebook.js'
import { isJsonMime, readBlobRef } from './stored-json.js'
import type { OutputBlobRef, CellRead, JsonObject, JsonValue, MimeBundle, Output } from './types.js'

/** How export treats blob references in mime bundles. */
export interface ExportIpynbOptions {
  /**
   * The content of a blob, by sha-256 hex: base64 for binary types, the text itself for text types, JSON
   * text for JSON types. `undefined` (or no resolver) exports a placeholder instead (I5).
   */
  readonly resolveBlob?: (hash: string) => string | undefined
}

type Resolve = (hash: string) => string | undefined

/** The notebook as an nbformat 4.5 object; `JSON.stringify(result, null, 1)` is the file. */
export function exportIpynb(doc: unknown, options: ExportIpynbOptions = {}): IpynbNotebook {
  const notebook = readNotebook(doc)
  const resolve: Resolve = options.resolveBlob ?? (() => undefined)
  const cells: IpynbCell[] = []
  for (const cell of notebook.cells) {
    const exported = exportCell(cell, resolve)
    if (exported) cells.push(exported)
  }
  return { nbformat: 4, nbformat_minor: NBFORMAT_MINOR, metadata: sanitizeNotebookMetadata(notebook.metadata), cells }
}

function exportCell(cell: CellRead, resolve: Resolve): IpynbCell | undefined {
  if (cell.cellType === 'broken') return undefined
  const metadata = sanitizeCellMetadata(cell.metadata, cell.cellType)
  const source = splitLines(cell.source)
  if (cell.cellType === 'code') {
    const outputs: IpynbOutput[] = []
    for (const output of cell.outputs) if (output.output_type !== 'broken') outputs.push(exportOutput(output, resolve))
    return { id: cell.id, cell_type: 'code', metadata, source, outputs, execution_count: cell.executionCount }
  }
  const names = Object.keys(cell.attachments)
  if (names.length === 0) return { id: cell.id, cell_type: cell.cellType, metadata, source }
  const attachments: Record<string, IpynbMimeBundle> = {}
  for (const name of names) attachments[name] = exportBundle(cell.attachments[name]!, resolve).bundle
  return { id: cell.id, cell_type: cell.cellType, metadata, source, attachments }
}

function exportOutput(output: Output, resolve: Resolve): IpynbOutput {
  switch (output.output_type) {
    case 'stream':
      return { output_type: 'stream', name: output.name, text: splitLines(output.text) }
    case 'error':
      return { output_type: 'error', ename: output.ename, evalue: output.evalue, traceback: [...output.traceback] }
    case 'display_data':
    case 'execute_result': {
      const { bundle, missing } = exportBundle(output.data, resolve)
      const metadata: JsonObject = { ...output.metadata }
      if (missing.length > 0) {
        // Where the left-out data was, so that a later import or a person can find the blob again.
        const quire = isRecord(metadata['quire']) ? { ...metadata['quire'] } : {}
        quire['missing_blobs'] = missing.map((ref) => ({ ...ref }))
        metadata['quire'] = quire
      }
      if (output.output_type === 'display_data') return { output_type: 'display_data', data: bundle, metadata }
      return { output_type: 'execute_result', data: bundle, metadata, execution_count: output.execution_count }
    }
  }
}

/** A bundle for the file: blob references inlined when the resolver has them, else left out with a note. */
function exportBundle(data: MimeBundle, resolve: Resolve): { bundle: IpynbMimeBundle; missing: (OutputBlobRef & { key: string })[] } {
  const bundle: IpynbMimeBundle = {}
  const missing: (OutputBlobRef & { key: string })[] = []
  for (const [mime, value] of Object.entries(data)) {
    const ref = readBlobRef(value)
    if (ref) {
      const inlined = inlineBlob(mime, ref, resolve)
      if (inlined === undefined) missing.push({ key: mime, ...ref })
      else bundle[mime] = inlined
    } else {
      bundle[mime] = isJsonMime(mime) ? (value as JsonValue) : fileString(mime, value as string)
    }
  }
  if (missing.length > 0 && bundle['text/plain'] === undefined) bundle['text/plain'] = splitLines(placeholder(missing))
  return { bundle, missing }
}

function inlineBlob(mime: string, ref: OutputBlobRef, resolve: Resolve): JsonValue | undefined {
  let content: string | undefined
  try {
    content = resolve(ref.blob)
  } catch {
    content = undefined
  }
  if (typeof content !== 'string') return undefined
  if (!isJsonMime(mime)) return fileString(mime, content)
  try {
    return JSON.parse(content) as JsonValue
  } catch {
    return undefined
  }
}

/** The text shown in place of data that was not available when exporting. */
export function placeholder(missing: readonly (OutputBlobRef & { key: string })[]): string {
  return missing
    .map((ref) => `[Quire: ${ref.key} data (${ref.size} bytes, blob sha256:${ref.blob}) was not available when this notebook was exported]`)
    .join('\n')
}

/** Text types as lists of lines (as Jupyter writes them, for readable diffs); base64 data as one string. */
function fileString(mime: string, value: string): MultilineString {
  return mime.startsWith('text/') || mime === 'image/svg+xml' ? splitLines(value) : value
}

/** Lines, each keeping its "\n"; joining them gives back the string exactly (I7). */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? []
}
