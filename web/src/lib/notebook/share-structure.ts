/**
 * Structural sharing between two reads of a document: parts that did not change keep their previous
 * objects. `readNotebook` builds fresh objects on every change, and Svelte re-renders whatever gets a new
 * object; without sharing, one keystroke in one cell would re-render every output of the notebook (and
 * reload every HTML iframe).
 */

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

/** `next`, with every part deep-equal to the same part of `prev` replaced by `prev`'s object. */
export function shareStructure<T>(prev: unknown, next: T): T {
  if (Object.is(prev, next)) return next
  if (Array.isArray(next)) {
    if (!Array.isArray(prev)) return next
    let same = prev.length === next.length
    const out = next.map((item: unknown, i) => {
      const shared = shareStructure(prev[i], item)
      if (shared !== prev[i]) same = false
      return shared
    })
    return (same ? prev : out) as T
  }
  if (isPlainObject(next)) {
    if (!isPlainObject(prev)) return next
    const keys = Object.keys(next)
    let same = keys.length === Object.keys(prev).length
    const out: Record<string, unknown> = {}
    for (const key of keys) {
      const shared = shareStructure(prev[key], next[key])
      if (!Object.hasOwn(prev, key) || shared !== prev[key]) same = false
      out[key] = shared
    }
    return (same ? prev : out) as T
  }
  return next
}

/** Shares items matched by `id` (cells move and get inserted; matching by index would share nothing). */
export function shareById<T extends { readonly id: string }>(prev: readonly T[], next: readonly T[]): readonly T[] {
  const byId = new Map(prev.map((item) => [item.id, item]))
  let same = prev.length === next.length
  const out = next.map((item, i) => {
    const shared = shareStructure(byId.get(item.id), item)
    if (shared !== prev[i]) same = false
    return shared
  })
  return same ? prev : out
}
