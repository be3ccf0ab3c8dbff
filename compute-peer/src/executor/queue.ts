/** Which cells are waiting to run, in the order they run: by request time, then by place in the notebook. */
import type { CodeCellRead, NotebookRead } from '@quire/crdt'

export interface QueuedCell {
  readonly id: string
  readonly source: string
  readonly requestedBy: string | undefined
  readonly requestedAt: number | undefined
  readonly index: number
}

export function queuedCells(notebook: NotebookRead): QueuedCell[] {
  const out: QueuedCell[] = []
  notebook.cells.forEach((cell, index) => {
    if (cell.cellType !== 'code' || cell.execution.status !== 'queued') return
    out.push(toQueued(cell, index))
  })
  // A cell without a request time (a peer wrote junk) goes last rather than first.
  const at = (c: QueuedCell): number => c.requestedAt ?? Number.MAX_SAFE_INTEGER
  return out.sort((a, b) => at(a) - at(b) || a.index - b.index)
}

function toQueued(cell: CodeCellRead, index: number): QueuedCell {
  return { id: cell.id, source: cell.source, requestedBy: cell.execution.requestedBy, requestedAt: cell.execution.requestedAt, index }
}

/** Cells whose status is `running`: after a restart nobody is running them any more. */
export function runningCells(notebook: NotebookRead): CodeCellRead[] {
  return notebook.cells.filter((c): c is CodeCellRead => c.cellType === 'code' && c.execution.status === 'running')
}
