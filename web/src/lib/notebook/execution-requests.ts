/**
 * What the notebook UI writes when a member runs, interrupts or restarts: execution goes through the
 * document (ARCHITECTURE.md, "Execution goes through documents"). Each function takes the mutable document
 * inside `handle.change`, so one user action is one change that every peer, the compute peer included,
 * sees whole.
 */
import { clearOutputs, readNotebook, requestKernel, setExecutionCount, setExecutionState, type KernelAction, type NotebookDoc } from '@quire/crdt'

/**
 * Queues one code cell (clearing its outputs, as Jupyter does when a cell is run again). Returns false, and
 * writes nothing, for a cell that is not a code cell or is no longer there (deleted by another peer).
 */
export function requestRun(doc: NotebookDoc, id: string, requestedBy: string, requestedAt: number): boolean {
  const cell = readNotebook(doc).cells.find((c) => c.id === id)
  if (cell?.cellType !== 'code') return false
  clearOutputs(doc, id)
  setExecutionState(doc, id, { status: 'queued', requestedBy, requestedAt })
  return true
}

/**
 * Queues several cells ("run all"). They share one request time: the compute peer runs queued cells by
 * request time, then by place in the notebook, and on an error cancels everything queued up to that time,
 * as Jupyter does; times in the future would escape that cancel. Returns the ids queued (code cells only).
 */
export function requestRunMany(doc: NotebookDoc, ids: readonly string[], requestedBy: string, requestedAt: number): string[] {
  const code = new Set(readNotebook(doc).cells.filter((c) => c.cellType === 'code').map((c) => c.id))
  const queued: string[] = []
  for (const id of ids) {
    if (!code.has(id) || queued.includes(id)) continue
    clearOutputs(doc, id)
    setExecutionState(doc, id, { status: 'queued', requestedBy, requestedAt })
    queued.push(id)
  }
  return queued
}

/**
 * Clears a code cell's outputs and prompt number. A cell that is queued or running keeps its state: the
 * compute peer owns it from then on, and its new outputs arrive after this change.
 */
export function clearCell(doc: NotebookDoc, id: string): boolean {
  const cell = readNotebook(doc).cells.find((c) => c.id === id)
  if (cell?.cellType !== 'code') return false
  clearOutputs(doc, id)
  setExecutionCount(doc, id, null)
  if (cell.execution.status === 'done' || cell.execution.status === 'error') setExecutionState(doc, id, { status: 'idle' })
  return true
}

/** Asks the compute peer to interrupt or restart the notebook's kernel; returns the request id. */
export function requestKernelAction(doc: NotebookDoc, action: KernelAction, requestedBy: string, requestedAt: number): string {
  return requestKernel(doc, { action, requestedBy, requestedAt })
}
