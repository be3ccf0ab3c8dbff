/**
 * Flat views of a chunked text for editors: Automerge patches on the chunks as changes of the whole text
 * (T16), and cursors that follow the text through concurrent edits (T17).
 */
import * as A from '@automerge/automerge'
import { CHUNK_PREFIX, ROOT_CHUNK, chunkPath, flatPosition, insertionPoint, layoutText, pieceAt, type Piece, type TextLayout } from './text-chunks.js'

/** Replace `[from, to)` with `insert`; each change in positions of the text after the changes before it. */
export interface FlatTextChange {
  readonly from: number
  readonly to: number
  readonly insert: string
}

/** The layout of a text document (chunks and where they are read), for {@link flatTextChanges}. */
export function textLayout(doc: unknown): TextLayout | undefined {
  return layoutText(doc)
}

/**
 * The patches from `Automerge.diff(doc, before, after)` (or a change's patches) as flat changes of the whole
 * text, given the layout at `before`. Returns null when the patches change the chunks' structure (a new
 * chunk, a replaced field): the caller then compares whole texts, which happens once per chunk-full of
 * typing. Patches outside the text are ignored.
 */
export function flatTextChanges(before: TextLayout, patches: readonly A.Patch[]): FlatTextChange[] | null {
  const pieces: Piece[] = before.pieces.map((p) => ({ ...p }))
  const out: FlatTextChange[] = []
  for (const patch of patches) {
    const target = textTarget(patch.path)
    if (target === undefined) {
      if (touchesText(patch.path)) return null
      continue
    }
    if (target === null) return null
    const { chunk, index } = target
    if (patch.action === 'splice') {
      const flat = flatPosition(pieces, chunk, index)
      if (flat === undefined) return null
      const n = patch.value.length
      out.push({ from: flat, to: flat, insert: patch.value })
      const target = pieceAt(pieces, chunk, index)!
      for (const piece of pieces) {
        if (piece === target) piece.to += n
        else if (piece.chunk === chunk && piece.from >= index) {
          piece.from += n
          piece.to += n
        }
      }
    } else if (patch.action === 'del') {
      const n = patch.length ?? 1
      const end = index + n
      // Descending flat order so every change's positions hold after the ones before it.
      const cuts: FlatTextChange[] = []
      for (const piece of pieces) {
        if (piece.chunk !== chunk) continue
        const from = Math.max(index, piece.from)
        const to = Math.min(end, piece.to)
        if (from < to) cuts.push({ from: piece.flat + from - piece.from, to: piece.flat + to - piece.from, insert: '' })
        const map = (x: number): number => (x < index ? x : x < end ? index : x - n)
        piece.from = map(piece.from)
        piece.to = map(piece.to)
      }
      cuts.sort((a, b) => b.from - a.from)
      out.push(...cuts)
    } else if (patch.action === 'mark' || patch.action === 'unmark') {
      continue
    } else {
      return null
    }
    let flat = 0
    for (const piece of pieces) {
      piece.flat = flat
      flat += piece.to - piece.from
    }
  }
  return out
}

/**
 * A cursor for flat position `index` of a text document: the chunk and an Automerge cursor inside it, so it
 * stays beside the same characters while others edit (T17). Undefined for a document without text.
 */
export function textCursor(doc: A.Doc<unknown>, index: number): string | undefined {
  const layout = layoutText(doc)
  if (layout === undefined) return undefined
  const point = insertionPoint(layout, Math.max(0, Math.min(index, layout.length)))
  const length = layout.lengths.get(point.chunk) ?? 0
  const cursor = point.local < length ? A.getCursor(doc, chunkPath(point.chunk), point.local) : 'e'
  return `${point.chunk}|${cursor}`
}

/** The flat position of a cursor from {@link textCursor}, or undefined when it does not resolve here. */
export function textCursorPosition(doc: A.Doc<unknown>, cursor: string): number | undefined {
  const bar = cursor.indexOf('|')
  if (bar <= 0) return undefined
  const chunk = cursor.slice(0, bar)
  const inner = cursor.slice(bar + 1)
  const layout = layoutText(doc)
  if (layout === undefined || !layout.lengths.has(chunk)) return undefined
  let local: number
  try {
    local = inner === 'e' ? (layout.lengths.get(chunk) as number) : A.getCursorPosition(doc, chunkPath(chunk), inner)
  } catch {
    return undefined
  }
  return flatPosition(layout.pieces, chunk, local)
}

/** The chunk and index a patch edits, undefined when it is not inside a chunk's text, null when it replaces one. */
function textTarget(path: readonly A.Prop[]): { chunk: string; index: number } | null | undefined {
  const [head, second, third] = path
  if (head === ROOT_CHUNK) {
    if (path.length === 1) return null
    return path.length === 2 && typeof second === 'number' ? { chunk: ROOT_CHUNK, index: second } : null
  }
  if (typeof head !== 'string' || !head.startsWith(CHUNK_PREFIX)) return undefined
  if (second !== 'text') return path.length === 1 ? null : undefined
  if (path.length === 2) return null
  return path.length === 3 && typeof third === 'number' ? { chunk: head.slice(CHUNK_PREFIX.length), index: third } : null
}

function touchesText(path: readonly A.Prop[]): boolean {
  return path.length === 0
}
