/**
 * The display order of cells. `cellOrder` is an Automerge list of ids, and a move is a delete plus an insert,
 * so two peers moving one cell at once leave two copies of its id. Reader and writers agree on one rule
 * (N5 to N8): the first copy of an id wins, ids without a cell are skipped, and cells missing from the list
 * come after the listed ones, sorted by id. Every write normalizes the list to exactly that order.
 */
import { isRecord, asString } from '../read/guards.js'
import { atom } from './stored-json.js'

/** The visible order, for a raw `cellOrder` value and the ids that have a cell. */
export function resolveOrder(cellOrder: unknown, cellIds: readonly string[]): string[] {
  const present = new Set(cellIds)
  const seen = new Set<string>()
  const out: string[] = []
  if (Array.isArray(cellOrder)) {
    for (const item of cellOrder as unknown[]) {
      const id = asString(item)
      if (id === undefined || !present.has(id) || seen.has(id)) continue
      seen.add(id)
      out.push(id)
    }
  }
  const missing = cellIds.filter((id) => !seen.has(id)).sort()
  return out.concat(missing)
}

/** The part of the notebook the order is made of, as a mutable proxy inside `change`. */
export interface OrderHost {
  cellOrder: unknown
  cells: unknown
}

/**
 * Rewrites `cellOrder` in place to the visible order, touching only the entries that must go or come, so a
 * concurrent insert by another peer is kept. Returns the visible order. One pass over the list and one over
 * the cell keys: proxy reads inside `change` cost microseconds each.
 */
export function normalizeOrder(doc: OrderHost): string[] {
  const cellIds = isRecord(doc.cells) ? Object.keys(doc.cells) : []
  const list = doc.cellOrder
  if (!Array.isArray(list)) {
    const order = resolveOrder(undefined, cellIds)
    doc.cellOrder = order.map(atom)
    return order
  }
  const present = new Set(cellIds)
  const seen = new Set<string>()
  const order: string[] = []
  const drop: number[] = []
  list.forEach((item: unknown, index) => {
    const id = asString(item)
    if (id === undefined || !present.has(id) || seen.has(id)) {
      drop.push(index)
    } else {
      seen.add(id)
      order.push(id)
    }
  })
  const proxy = list as unknown[] & { deleteAt(index: number, count?: number): void }
  for (let i = drop.length - 1; i >= 0; i--) proxy.deleteAt(drop[i]!, 1)
  for (const id of cellIds.filter((id) => !seen.has(id)).sort()) {
    proxy.push(atom(id))
    order.push(id)
  }
  return order
}
