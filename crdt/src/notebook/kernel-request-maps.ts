/**
 * Every value of the `kernelRequests` field. Two peers that each add the first request of a notebook create
 * the map concurrently; Automerge keeps one map as the field's value and the other as a conflict. Reading
 * and marking go through all of them, so no request is lost to that race (N23).
 */
import { getConflicts, type Doc } from '@automerge/automerge'
import { isRecord } from '../read/guards.js'

export function kernelRequestMaps(doc: unknown): Record<string, unknown>[] {
  if (!isRecord(doc)) return []
  let values: unknown[] | undefined
  try {
    const conflicts = getConflicts(doc as Doc<Record<string, unknown>>, 'kernelRequests')
    // Conflict keys are operation ids; sort them so every peer walks the maps in one order.
    if (conflicts !== undefined) values = Object.keys(conflicts).sort().map((k) => conflicts[k])
  } catch {
    // Not an Automerge document (a plain value handed to the reader): its one field is all there is.
  }
  values ??= [doc['kernelRequests']]
  return values.filter(isRecord)
}
