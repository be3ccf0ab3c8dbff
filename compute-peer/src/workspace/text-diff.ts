/**
 * The edits that turn one text into another, for applying a disk edit at the heads it was made from.
 *
 * Why not Automerge's `updateText` (a character diff): between two unrelated texts a character diff keeps
 * whatever letters happen to match ("init-a" and "<created-1>" share e, a and t), and a member's concurrent
 * insert anchored next to one of them lands in the middle of the new text ("<crea<line>ted-1>"). Here lines are
 * diffed first, so a changed line or block is replaced whole and concurrent inserts stay next to it, not
 * inside it; only within a changed block that is mostly the same (a typo fixed, a word added) are characters
 * diffed, so a member's concurrent edit of the same line merges as it would in an editor.
 */
import { diffChars, diffLines } from 'diff'

/** Replace `remove` characters at `at` with `insert`; positions are in the old text. */
export interface TextSplice {
  readonly at: number
  readonly remove: number
  readonly insert: string
}

/** A changed block is diffed by characters when at least this share of it stays the same. */
const MOSTLY_SAME = 0.5

/** The splices that turn `from` into `to`, in increasing position, positions in `from`. */
export function textSplices(from: string, to: string): TextSplice[] {
  if (from === to) return []
  const out: TextSplice[] = []
  let at = 0
  let removed = ''
  let inserted = ''
  const flush = (): void => {
    if (removed !== '' || inserted !== '') out.push(...blockSplices(at, removed, inserted))
    at += removed.length
    removed = ''
    inserted = ''
  }
  for (const part of diffLines(from, to)) {
    if (part.removed) removed += part.value
    else if (part.added) inserted += part.value
    else {
      flush()
      at += part.value.length
    }
  }
  flush()
  return out
}

function blockSplices(at: number, removed: string, inserted: string): TextSplice[] {
  if (removed === '' || inserted === '') return [{ at, remove: removed.length, insert: inserted }]
  const parts = diffChars(removed, inserted)
  const same = parts.reduce((n, p) => n + (p.added || p.removed ? 0 : p.value.length), 0)
  if (same < MOSTLY_SAME * Math.max(removed.length, inserted.length)) return [{ at, remove: removed.length, insert: inserted }]
  const out: TextSplice[] = []
  let pos = at
  for (const p of parts) {
    if (p.removed) {
      const last = out.at(-1)
      if (last !== undefined && last.at + last.remove === pos && last.insert === '') out[out.length - 1] = { ...last, remove: last.remove + p.value.length }
      else out.push({ at: pos, remove: p.value.length, insert: '' })
      pos += p.value.length
    } else if (p.added) {
      const last = out.at(-1)
      if (last !== undefined && last.at + last.remove === pos) out[out.length - 1] = { ...last, insert: last.insert + p.value }
      else out.push({ at: pos, remove: 0, insert: p.value })
    } else {
      pos += p.value.length
    }
  }
  return out
}

/** Applies `splices` (positions in the old text, increasing) through `splice`, last first so positions hold. */
export function applySplices(splices: readonly TextSplice[], splice: (at: number, remove: number, insert: string) => void): void {
  for (let i = splices.length - 1; i >= 0; i--) {
    const s = splices[i]!
    splice(s.at, s.remove, s.insert)
  }
}
