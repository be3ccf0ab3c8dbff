/**
 * Disk edits as minimal document changes, applied at the heads the file on disk was last made from, so
 * whatever members changed since merges with the disk edit instead of being overwritten: text as a line
 * diff refined by characters within lines that mostly stay (text-diff.ts), notebooks cell by cell by cell id (sources as text diffs,
 * outputs replaced as outputs, cells inserted, deleted and moved), never a whole reload.
 */
import { next as A } from '@automerge/automerge'
import { decodeHeads, type DocHandle, type UrlHeads } from '@automerge/automerge-repo'
import {
  applyTextSplices,
  readText,
  appendOutput,
  clearOutputs,
  deleteCell,
  editSource,
  exportIpynb,
  importIpynb,
  insertCell,
  moveCell,
  readNotebook,
  setCellType,
  setExecutionCount,
  type CellRead,
  type NotebookDoc,
  type NotebookRead,
  type Output,
  type TextDoc,
} from '@quire/crdt'
import { applySplices, textSplices } from './text-diff.js'

/** The heads of the new change, or undefined when the disk held what the document held at `base`. */
export function ingestText(handle: DocHandle<TextDoc>, base: UrlHeads, text: string): UrlHeads | undefined {
  return handle.changeAt(usableHeads(handle, base), (doc) => {
    const read = readText(doc)
    if (!read.ok) return // not text: left to the reader to report
    applyTextSplices(doc, textSplices(read.value.content, text))
  })
}

/** Parses a .ipynb file; throws the crdt package's `INVALID_NOTEBOOK` when it is not one. */
export function parseIpynb(text: string): NotebookRead {
  return readNotebook(importIpynb(text))
}

/** Applies the notebook file `target` cell by cell; the heads of the change, or undefined when nothing differed. */
export function ingestNotebook(handle: DocHandle<NotebookDoc>, base: UrlHeads, target: NotebookRead): UrlHeads | undefined {
  return handle.changeAt(usableHeads(handle, base), (doc) => applyCells(doc, target))
}

function applyCells(doc: NotebookDoc, target: NotebookRead): void {
  const current = readNotebook(doc)
  const wanted = target.cells.filter((c): c is Exclude<CellRead, { cellType: 'broken' }> => c.cellType !== 'broken')
  const wantedIds = new Set(wanted.map((c) => c.id))
  const have = new Map(current.cells.map((c) => [c.id, c]))
  for (const cell of current.cells) if (!wantedIds.has(cell.id)) deleteCell(doc, cell.id)
  // Outputs compare in file form, so a blob reference and the same bytes inlined are equal.
  const currentOutputs = outputsInFile(doc)
  const targetOutputs = outputsInFile(target)
  let order = readNotebook(doc).cells.map((c) => c.id)
  wanted.forEach((cell, index) => {
    const before = have.get(cell.id)
    if (before === undefined || before.cellType === 'broken') {
      if (before !== undefined) deleteCell(doc, cell.id)
      insertCell(doc, Math.min(index, readNotebook(doc).cells.length), { cellType: cell.cellType, source: cell.source, id: cell.id })
      if (cell.cellType === 'code') {
        for (const output of cell.outputs) if (output.output_type !== 'broken') appendOutput(doc, cell.id, output as Output)
        if (cell.executionCount !== null) setExecutionCount(doc, cell.id, cell.executionCount)
      }
      order = readNotebook(doc).cells.map((c) => c.id)
      return
    }
    if (before.cellType !== cell.cellType) setCellType(doc, cell.id, cell.cellType)
    if (before.source !== cell.source) {
      editSource(doc, cell.id, 0, 0, '') // turns a source stored as an atom into text first (crdt N10)
      applySplices(textSplices(before.source, cell.source), (at, remove, insert) => A.splice(doc, ['cells', cell.id, 'source'], at, remove, insert))
    }
    if (cell.cellType === 'code') {
      if (before.cellType !== 'code' || currentOutputs.get(cell.id) !== targetOutputs.get(cell.id)) {
        clearOutputs(doc, cell.id)
        for (const output of cell.outputs) if (output.output_type !== 'broken') appendOutput(doc, cell.id, output as Output)
      }
      const count = before.cellType === 'code' ? before.executionCount : null
      if (count !== cell.executionCount) setExecutionCount(doc, cell.id, cell.executionCount)
    }
  })
  wanted.forEach((cell, index) => {
    if (order[index] === cell.id) return
    moveCell(doc, cell.id, index)
    order = readNotebook(doc).cells.map((c) => c.id)
  })
}

function outputsInFile(doc: unknown): Map<string, string> {
  const out = new Map<string, string>()
  for (const cell of exportIpynb(doc).cells) if (cell.cell_type === 'code') out.set(cell.id, JSON.stringify(cell.outputs))
  return out
}

/** `base` when the document has those heads, else its current heads (a lost state file: merge against now). */
function usableHeads<T>(handle: DocHandle<T>, base: UrlHeads): UrlHeads {
  if (base.length === 0) return handle.heads()
  try {
    return A.hasHeads(handle.doc(), decodeHeads(base)) ? base : handle.heads()
  } catch {
    return handle.heads()
  }
}
