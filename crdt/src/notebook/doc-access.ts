/**
 * Checked access to the mutable document inside `change`, for the operations. The document may have been
 * written by any peer, so every field is looked at as `unknown` before it is trusted.
 */
import { getCursor, getCursorPosition, type Prop } from '@automerge/automerge'
import { CrdtError } from '../errors.js'
import { isRecord, asString } from '../read/guards.js'
import { normalizeOrder } from './cell-order.js'

import { CELL_TYPES, type CellType, type NotebookDoc } from './types.js'

/** A notebook root as loose records: what the operations write through. */
export interface NotebookRoot {
  cellOrder: unknown
  cells: Record<string, unknown>
  [key: string]: unknown
}

export type CellRecord = Record<string, unknown>

/** The root; throws `INVALID_NOTEBOOK` if there is no cells map at all. */
export function openCells(doc: NotebookDoc): NotebookRoot {
  const root = doc as unknown as Record<string, unknown>
  if (!isRecord(root) || !isRecord(root['cells'])) {
    throw new CrdtError(
      'INVALID_NOTEBOOK',
      'This document has no cells map, so it is not a Quire notebook. Create one with createNotebook() or importIpynb().',
    )
  }
  return root as NotebookRoot
}

/**
 * The root with `cellOrder` normalized (N8), for the operations that work with positions (insert, delete,
 * move). Operations inside one cell skip this: they run per keystroke or per output chunk, and the order
 * they would repair is resolved identically by every reader anyway.
 */
export function openNotebook(doc: NotebookDoc): { root: NotebookRoot; order: string[] } {
  const root = openCells(doc)
  return { root, order: normalizeOrder(root) }
}

/** The cell stored under `id`, or `UNKNOWN_CELL`. */
export function requireCell(root: NotebookRoot, id: string): CellRecord {
  const cell = typeof id === 'string' && Object.hasOwn(root.cells, id) ? root.cells[id] : undefined
  if (cell === undefined) {
    throw new CrdtError('UNKNOWN_CELL', `There is no cell ${JSON.stringify(String(id).slice(0, 80))} in this notebook (it may have been deleted by another peer).`)
  }
  if (!isRecord(cell)) {
    throw new CrdtError('INVALID_NOTEBOOK', `Cell ${JSON.stringify(id)} is broken (not an object): delete it and insert a new one.`)
  }
  return cell
}

export function cellTypeOf(cell: CellRecord): CellType | undefined {
  const type = asString(cell['cellType'])
  return (CELL_TYPES as readonly string[]).includes(type ?? '') ? (type as CellType) : undefined
}

/** The cell under `id`, which must be a code cell (`what` names the operation, for the message). */
export function requireCodeCell(root: NotebookRoot, id: string, what: string): CellRecord {
  const cell = requireCell(root, id)
  const type = cellTypeOf(cell)
  if (type !== 'code') {
    throw new CrdtError('INVALID_ARGUMENT', `Cell ${JSON.stringify(id)} is a ${type ?? 'broken'} cell; only code cells have ${what}.`)
  }
  return cell
}

/**
 * The length of the text at `path`, or `undefined` if that is not collaborative text. Asks Automerge through
 * a cursor, because reading the field would copy the whole text into a JS string: appending to a 1 MB stream
 * output that way costs about 85 ms instead of 2 ms.
 */
export function textLength(doc: NotebookDoc, path: Prop[]): number | undefined {
  try {
    return getCursorPosition(doc, path, getCursor(doc, path, 'end'))
  } catch {
    // Automerge throws "cursors only valid on text" for anything else (an atom, a list, a missing key).
    return undefined
  }
}

export function requireInteger(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new CrdtError('INVALID_ARGUMENT', `${what} must be a whole number from ${min} to ${max}, got ${String(value)}.`)
  }
  return value
}

export function requireCellType(value: unknown): CellType {
  if (!(CELL_TYPES as readonly unknown[]).includes(value)) {
    throw new CrdtError('INVALID_ARGUMENT', `cellType must be "code", "markdown" or "raw", got ${JSON.stringify(String(value).slice(0, 40))}.`)
  }
  return value as CellType
}
