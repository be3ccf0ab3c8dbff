/**
 * Operations on cells and their order. Each takes the mutable document inside `Automerge.change` or
 * `handle.change`. Insert, delete and move normalize `cellOrder` first (N8). All change fields in place
 * rather than replacing a cell, so a concurrent delete of that cell still wins (N11) and concurrent edits of
 * other fields merge. A throw inside `change` discards the whole change, normalization included.
 */
import { splice } from '@automerge/automerge'
import { CrdtError } from '../errors.js'
import { newCellId, requireCellId } from './cell-id.js'
import { cellTypeOf, openCells, openNotebook, requireCell, requireCellType, requireInteger, textLength, type CellRecord } from './doc-access.js'
import { atom } from './stored-json.js'
import type { CellType, NotebookDoc } from './types.js'
import { asString } from '../read/guards.js'

/** What a new cell starts with. */
export interface CellInit {
  readonly cellType: CellType
  readonly source?: string
  /** An nbformat cell id; generated when absent. */
  readonly id?: string
}

type ListProxy = unknown[] & { insertAt(index: number, ...values: unknown[]): void; deleteAt(index: number, count?: number): void }

/** A cell as first written. `source` becomes collaborative text; identifiers are atoms. */
export function newCellValue(id: string, cellType: CellType, source: string): CellRecord {
  const cell: CellRecord = { id: atom(id), cellType: atom(cellType), source, metadata: {} }
  if (cellType === 'code') Object.assign(cell, codeFields())
  else cell['attachments'] = {}
  return cell
}

function codeFields(): CellRecord {
  return { outputs: [], executionCount: null, execution: { status: atom('idle') } }
}

/** Inserts a new cell so that it is shown at `index` (0 to the number of cells); returns its id. */
export function insertCell(doc: NotebookDoc, index: number, init: CellInit): string {
  const { root, order } = openNotebook(doc)
  requireInteger(index, 0, order.length, 'index')
  if (typeof init !== 'object' || init === null) throw new CrdtError('INVALID_ARGUMENT', 'insertCell needs { cellType, source?, id? }.')
  const cellType = requireCellType(init.cellType)
  const source = init.source ?? ''
  if (typeof source !== 'string') throw new CrdtError('INVALID_ARGUMENT', 'source must be a string.')
  let id: string
  if (init.id === undefined) {
    id = newCellId((candidate) => Object.hasOwn(root.cells, candidate))
  } else {
    id = requireCellId(init.id, 'id')
    if (Object.hasOwn(root.cells, id)) {
      throw new CrdtError('INVALID_ARGUMENT', `A cell with id ${JSON.stringify(id)} already exists; pick another id or omit it.`)
    }
  }
  root.cells[id] = newCellValue(id, cellType, source)
  ;(root.cellOrder as ListProxy).insertAt(index, atom(id))
  return id
}

/** Deletes a cell (also a broken one) and every copy of its id in the order. */
export function deleteCell(doc: NotebookDoc, id: string): void {
  const { root, order } = openNotebook(doc)
  if (typeof id !== 'string' || !Object.hasOwn(root.cells, id)) requireCell(root, id)
  delete root.cells[id]
  // After normalization the list is exactly `order`, holding the id once.
  ;(root.cellOrder as ListProxy).deleteAt(order.indexOf(id), 1)
}

/** Moves a cell so that it is shown at `toIndex` (0 to the number of cells minus one). */
export function moveCell(doc: NotebookDoc, id: string, toIndex: number): void {
  const { root, order } = openNotebook(doc)
  const from = typeof id === 'string' ? order.indexOf(id) : -1
  if (from < 0) requireCell(root, id)
  requireInteger(toIndex, 0, order.length - 1, 'toIndex')
  if (from === toIndex) return
  // After normalization the list is exactly `order`, so visible indices are list indices.
  const list = root.cellOrder as ListProxy
  list.deleteAt(from, 1)
  list.insertAt(toIndex, atom(id))
}

/**
 * Replaces `deleteCount` characters at `index` of a cell's source with `insert`. Indices count UTF-16 code
 * units, as JS strings do.
 */
export function editSource(doc: NotebookDoc, id: string, index: number, deleteCount: number, insert: string): void {
  const root = openCells(doc)
  const cell = requireCell(root, id)
  if (typeof insert !== 'string') throw new CrdtError('INVALID_ARGUMENT', 'insert must be a string.')
  const path = ['cells', id, 'source']
  let length = textLength(doc, path)
  if (length === undefined) {
    // A source a peer wrote as an atom (or not at all) becomes text, so it can be edited from now on.
    const value = asString(cell['source']) ?? ''
    cell['source'] = value
    length = value.length
  }
  requireInteger(index, 0, length, 'index')
  requireInteger(deleteCount, 0, length - index, 'deleteCount')
  if (deleteCount === 0 && insert.length === 0) return
  splice(doc, path, index, deleteCount, insert)
}

/**
 * Changes a cell's type. Becoming a code cell adds empty outputs, a null execution count and an idle
 * execution state; leaving code drops them and adds empty attachments. Markdown and raw keep attachments.
 */
export function setCellType(doc: NotebookDoc, id: string, cellType: CellType): void {
  const root = openCells(doc)
  const cell = requireCell(root, id)
  requireCellType(cellType)
  const before = cellTypeOf(cell)
  if (before === cellType) return
  cell['cellType'] = atom(cellType)
  if (cellType === 'code') {
    delete cell['attachments']
    Object.assign(cell, codeFields())
  } else {
    for (const key of ['outputs', 'executionCount', 'execution']) delete cell[key]
    if (before !== 'markdown' && before !== 'raw') cell['attachments'] = {}
  }
}
