/**
 * Time travel for text: the content at earlier heads, and a line diff between two versions.
 */
import * as A from '@automerge/automerge'
import { CrdtError } from '../errors.js'
import { readText, type TextDoc } from './text.js'

/**
 * The content of a text document as it was at `heads` (e.g. from `Automerge.getHeads` earlier, or from
 * the history list). Throws `INVALID_ARGUMENT` if this replica does not have those heads, and
 * `INVALID_DOCUMENT` if the document was not a readable text document then.
 */
export function textAt(doc: A.Doc<TextDoc>, heads: A.Heads): string {
  if (!Array.isArray(heads) || !heads.every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h))) {
    throw new CrdtError('INVALID_ARGUMENT', 'Heads must be a list of 64-character hex change hashes.')
  }
  if (!A.hasHeads(doc, heads)) {
    throw new CrdtError('INVALID_ARGUMENT', 'This replica does not have that version yet; sync and try again.')
  }
  const read = readText(A.view(doc, heads))
  if (!read.ok) throw read.error
  return read.value.content
}

/** One run of a line diff: lines kept, removed from the old version, or added in the new one. */
export interface LineDiffPart {
  readonly op: 'same' | 'removed' | 'added'
  readonly lines: readonly string[]
}

/**
 * Above this many cells in the LCS table the middle is reported as removed-then-added instead, to keep
 * the diff cheap in a browser (the common prefix and suffix are still matched).
 */
const MAX_TABLE = 4_000_000

/**
 * A line diff of two texts (longest common subsequence after trimming the common prefix and suffix).
 * Joining the `same` and `removed` lines gives `before`; the `same` and `added` lines give `after`.
 */
export function diffLines(before: string, after: string): LineDiffPart[] {
  const a = before.split('\n')
  const b = after.split('\n')
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--
    endB--
  }
  const parts: LineDiffPart[] = []
  const push = (op: LineDiffPart['op'], lines: string[]): void => {
    if (lines.length === 0) return
    const last = parts[parts.length - 1]
    if (last && last.op === op) parts[parts.length - 1] = { op, lines: [...last.lines, ...lines] }
    else parts.push({ op, lines })
  }
  push('same', a.slice(0, start))
  const midA = a.slice(start, endA)
  const midB = b.slice(start, endB)
  if (midA.length * midB.length > MAX_TABLE) {
    push('removed', midA)
    push('added', midB)
  } else {
    for (const [op, line] of lcsWalk(midA, midB)) push(op, [line])
  }
  push('same', a.slice(endA))
  return parts
}

function lcsWalk(a: string[], b: string[]): Array<[LineDiffPart['op'], string]> {
  const n = a.length
  const m = b.length
  // table[i * (m + 1) + j]: LCS length of a[i..] and b[j..]
  const table = new Uint32Array((n + 1) * (m + 1))
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * (m + 1) + j] =
        a[i] === b[j]
          ? table[(i + 1) * (m + 1) + j + 1]! + 1
          : Math.max(table[(i + 1) * (m + 1) + j]!, table[i * (m + 1) + j + 1]!)
    }
  }
  const out: Array<[LineDiffPart['op'], string]> = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push(['same', a[i]!])
      i++
      j++
    } else if (table[(i + 1) * (m + 1) + j]! >= table[i * (m + 1) + j + 1]!) {
      out.push(['removed', a[i]!])
      i++
    } else {
      out.push(['added', b[j]!])
      j++
    }
  }
  while (i < n) out.push(['removed', a[i++]!])
  while (j < m) out.push(['added', b[j++]!])
  return out
}
