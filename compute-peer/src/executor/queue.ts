/**
 * Which cells are waiting to run, in the order they run: by request time, then by place in the notebook.
 *
 * The executor looks at the notebook on every change it gets, and a notebook can hold hundreds of cells with
 * their outputs: validating all of them each time (`readNotebook`) cost about 1 ms outside `change` and
 * 15 ms inside it (proxy reads) on a 130-cell notebook. So these readers first pick the few cells they need
 * with a raw look at one field, then validate just those through `readNotebook` itself (on a notebook made
 * of those cells), so the executor still sees only what the validating reader would show it.
 */
import { readNotebook, type CellRead, type CodeCellRead, type Kernelspec, type NotebookRead } from '@quire/crdt'

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

/**
 * `queuedCells(readNotebook(doc))` without validating the cells that are not queued. `index` is then the
 * place among the queued cells, which sorts them as their place in the whole notebook would.
 */
export function queuedCellsOf(doc: unknown): QueuedCell[] {
  const picked = pick(doc, (cell) => rawStatus(cell) === 'queued')
  return picked === undefined ? queuedCells(readNotebook(doc)) : queuedCells(picked)
}

/** One cell as `readNotebook` would read it (undefined when there is no such cell); works inside `change` too. */
export function readOneCell(doc: unknown, id: string): CellRead | undefined {
  const picked = pick(doc, id, false)
  return (picked ?? readNotebook(doc)).cells.find((c) => c.id === id)
}

/** The notebook's kernelspec as `readNotebook` reads it, without reading any cell. */
export function kernelspecOf(doc: unknown): Kernelspec | undefined {
  return (pick(doc, () => false) ?? readNotebook(doc)).kernelspec
}

/** Cells whose status is `running`: after a restart nobody is running them any more. */
export function runningCells(notebook: NotebookRead): CodeCellRead[] {
  return notebook.cells.filter((c): c is CodeCellRead => c.cellType === 'code' && c.execution.status === 'running')
}

function toQueued(cell: CodeCellRead, index: number): QueuedCell {
  return { id: cell.id, source: cell.source, requestedBy: cell.execution.requestedBy, requestedAt: cell.execution.requestedAt, index }
}

/**
 * The notebook cut down to the cells `keep` selects (or the cell of that id), read by `readNotebook`; undefined when the document is
 * not shaped for a raw look (then the caller reads it whole, which reports the fault).
 */
function pick(doc: unknown, keep: ((cell: unknown) => boolean) | string, withOrder = true): NotebookRead | undefined {
  try {
    if (!isObject(doc) || !isObject(doc['cells'])) return undefined
    const all = doc['cells']
    const cells: Record<string, unknown> = {}
    // One id: looked up, not searched for (each key read is a proxy call inside `change`).
    if (typeof keep === 'string') {
      if (Object.hasOwn(all, keep)) cells[keep] = all[keep]
    } else {
      for (const id of Object.keys(all)) if (keep(all[id])) cells[id] = all[id]
    }
    // Without the order (one cell), neither the order list nor the metadata needs reading.
    return withOrder
      ? readNotebook({ type: doc['type'], schemaVersion: doc['schemaVersion'], metadata: doc['metadata'], cells, cellOrder: doc['cellOrder'] })
      : readNotebook({ type: doc['type'], schemaVersion: doc['schemaVersion'], metadata: {}, cells, cellOrder: Object.keys(cells) })
  } catch {
    return undefined
  }
}

/** The execution status as text, unvalidated (Automerge may hand strings over as ImmutableString objects). */
function rawStatus(cell: unknown): string | undefined {
  if (!isObject(cell) || !isObject(cell['execution'])) return undefined
  const status = cell['execution']['status']
  return status === undefined || status === null ? undefined : String(status)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
