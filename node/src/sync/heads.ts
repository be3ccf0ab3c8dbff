/**
 * Whether two lists of Automerge heads name the same changes, in any order (automerge's own lists are
 * sorted, but heads read off the wire or stored by a peer need not be).
 */
export function sameHeads(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false
  const set = new Set(a)
  return b.every((h) => set.has(h))
}
