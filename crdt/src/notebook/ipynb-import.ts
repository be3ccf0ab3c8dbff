/**
 * .ipynb import: nbformat 4.0 to 4.5 in, a notebook document out. Everything the file holds is checked
 * before anything is built, and the first fault is reported as `INVALID_NOTEBOOK` with its JSON-pointer
 * path (I3). Older minors need no conversion beyond cell ids, which are generated when missing (I2).
 */
import { from, type Doc } from '@automerge/automerge'
import { CrdtError } from '../errors.js'
import { isRecord } from '../read/guards.js'
import { isCellId, newCellId } from './cell-id.js'
import { newCellValue } from './cell-ops.js'
import { notebookValue } from './create-notebook.js'
import { outputToDoc } from './output-ops.js'
import { parseBundle, parseCount, parseJsonObject, parseMultiline, parseOutput, type Fail } from './parse-output.js'
import { atom, describe, escapeKey, storableKeys, toStoredBundle, toStoredObject } from './stored-json.js'
import type { CellType, JsonObject, MimeBundle, NotebookDoc, Output } from './types.js'

/** The newest nbformat minor version read and written. */
export const NBFORMAT_MINOR = 5

interface ParsedCell {
  id: string | undefined
  cellType: CellType
  source: string
  metadata: JsonObject
  attachments: Record<string, MimeBundle> | undefined
  outputs: Output[]
  executionCount: number | null
}

const fail: Fail = (path, message) => {
  throw new CrdtError('INVALID_NOTEBOOK', `Not a valid .ipynb notebook: ${path === '' ? 'the file' : `at ${path},`} ${message}.`)
}

/** Builds a notebook document from the text of a .ipynb file, or throws `INVALID_NOTEBOOK`. */
export function importIpynb(text: string): Doc<NotebookDoc> {
  if (typeof text !== 'string') fail('', `must be given as text (a string), not ${describe(text)}`)
  let json: unknown
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch (cause) {
    throw new CrdtError('INVALID_NOTEBOOK', `Not a valid .ipynb notebook: the file is not JSON (${(cause as Error).message}).`, { cause })
  }
  const { metadata, cells } = parseNotebook(json)
  const root = notebookValue(metadata)
  const taken = new Set<string>()
  const explicit = new Set(cells.map((cell) => cell.id))
  for (const cell of cells) {
    // A missing id is generated; a repeated one too, as nbformat's own validator repairs it (I2).
    const keep = cell.id !== undefined && !taken.has(cell.id)
    const id = keep ? cell.id! : newCellId((c) => taken.has(c) || explicit.has(c))
    taken.add(id)
    const value = newCellValue(id, cell.cellType, cell.source)
    value['metadata'] = toStoredObject(cell.metadata)
    if (cell.cellType === 'code') {
      value['outputs'] = cell.outputs.map(outputToDoc)
      value['executionCount'] = cell.executionCount
    } else if (cell.attachments) {
      const attachments: Record<string, unknown> = {}
      for (const [name, bundle] of Object.entries(cell.attachments)) attachments[name] = toStoredBundle(bundle)
      value['attachments'] = attachments
    }
    ;(root.cells as Record<string, unknown>)[id] = value
    root.cellOrder.push(atom(id))
  }
  return from(root as unknown as Record<string, unknown>) as unknown as Doc<NotebookDoc>
}

function parseNotebook(json: unknown): { metadata: JsonObject; cells: ParsedCell[] } {
  if (!isRecord(json)) return fail('', `is JSON but its top level is ${describe(json)}, not a notebook object`)
  const major = json['nbformat']
  if (major === undefined) fail('/nbformat', 'the nbformat version is missing, so this is not a Jupyter notebook')
  if (typeof major === 'number' && major < 4) {
    fail('/nbformat', `nbformat ${major} is too old; open and save the notebook in Jupyter to convert it to nbformat 4`)
  }
  if (major !== 4) fail('/nbformat', `nbformat ${JSON.stringify(major)} is not supported (only nbformat 4)`)
  const minor = json['nbformat_minor'] ?? 0
  if (typeof minor !== 'number' || !Number.isSafeInteger(minor) || minor < 0 || minor > NBFORMAT_MINOR) {
    fail('/nbformat_minor', `nbformat 4.${JSON.stringify(minor)} is not supported (4.0 to 4.${NBFORMAT_MINOR})`)
  }
  const metadata = json['metadata'] === undefined ? {} : parseJsonObject(json['metadata'], '/metadata', fail)
  const cells = json['cells']
  if (!Array.isArray(cells)) return fail('/cells', cells === undefined ? 'the list of cells is missing' : `cells must be a list, found ${describe(cells)}`)
  return { metadata, cells: cells.map((cell: unknown, i) => parseCell(cell, `/cells/${i}`)) }
}

function parseCell(value: unknown, path: string): ParsedCell {
  if (!isRecord(value)) return fail(path, `a cell must be an object, found ${describe(value)}`)
  const type = value['cell_type']
  if (type === undefined) fail(`${path}/cell_type`, 'the cell has no cell_type (expected code, markdown or raw)')
  if (type !== 'code' && type !== 'markdown' && type !== 'raw') {
    fail(`${path}/cell_type`, `${JSON.stringify(String(type).slice(0, 40))} is not a cell type (expected code, markdown or raw)`)
  }
  // "__proto__" matches nbformat's pattern but cannot be a key in Automerge: it gets a generated id (I2).
  const id = value['id'] === '__proto__' ? undefined : value['id']
  if (id !== undefined && !isCellId(id)) fail(`${path}/id`, 'a cell id must be 1 to 64 letters, digits, "-" or "_"')
  if (value['source'] === undefined) fail(`${path}/source`, 'the cell has no source')
  const cell: ParsedCell = {
    id: id as string | undefined,
    cellType: type as CellType,
    source: parseMultiline(value['source'], `${path}/source`, fail),
    metadata: value['metadata'] === undefined ? {} : parseJsonObject(value['metadata'], `${path}/metadata`, fail),
    attachments: undefined,
    outputs: [],
    executionCount: null,
  }
  if (value['attachments'] !== undefined) {
    if (type === 'code') fail(`${path}/attachments`, 'attachments are allowed only on markdown and raw cells')
    cell.attachments = parseAttachments(value['attachments'], `${path}/attachments`)
  }
  if (type === 'code') {
    const outputs = value['outputs'] ?? []
    if (!Array.isArray(outputs)) fail(`${path}/outputs`, `outputs must be a list, found ${describe(outputs)}`)
    cell.outputs = (outputs as unknown[]).map((output, i) => parseOutput(output, `${path}/outputs/${i}`, fail, true))
    cell.executionCount = parseCount(value['execution_count'], `${path}/execution_count`, fail)
  }
  return cell
}

function parseAttachments(value: unknown, path: string): Record<string, MimeBundle> {
  if (!isRecord(value)) return fail(path, `attachments must be an object keyed by file name, found ${describe(value)}`)
  const out: Record<string, MimeBundle> = {}
  for (const name of storableKeys(value)) out[name] = parseBundle(value[name], `${path}/${escapeKey(name)}`, fail)
  return out
}
