/**
 * The chunked shape of a text document (T8 to T20). Applying a remote change inside Automerge costs time in
 * proportion to the size of the text object it edits (automerge issue 1042), so a long text is stored as
 * many small text objects. Text is never moved between objects: moving text loses or duplicates concurrent
 * edits of the moved part. Instead the document is a tree:
 *
 * - the root chunk is the `content` field, exactly as in documents written before chunks (so an old document
 *   is a chunked document with one chunk, and there is nothing to migrate or copy);
 * - every other chunk is a root-map key `chunk:<id>` holding `{ text, parent, at, rank }`: its text is read
 *   in place of a marker character (U+FDD0, a noncharacter) in its parent's text, the one the Automerge
 *   cursor `at` names; `createText` also anchors chunks at the root's end (`at` = `e`), read by `rank`,
 *   higher first. Markers are never deleted, so a chunk's place is a live character of its parent, ordered
 *   by Automerge's own sequence rules against every concurrent insert (an anchor on a deleted character
 *   could not be ordered against another deleted one);
 * - a chunk is never deleted, re-parented or re-anchored, and its id is random, so no two peers ever write
 *   the same key and nothing can conflict.
 *
 * An insert goes into the chunk holding the character before it; when that chunk is full, the text goes
 * into new chunks anchored at that place. Chunks live in the root map, never in a container created on
 * first use, because two peers creating that container at once would leave one of them unread.
 */
import * as A from '@automerge/automerge'
import { isRecord, asString, asNumber, type Problem } from '../read/guards.js'

/** The root chunk's key (the text field of documents written before chunks). */
export const ROOT_CHUNK = 'content'
/** Root-map keys of the other chunks start with this. */
export const CHUNK_PREFIX = 'chunk:'

let maxChunk = 2048

/** The largest chunk (UTF-16 code units) an insert fills before new text goes into a new chunk. */
export function textChunkLimit(): number {
  return maxChunk
}

/**
 * Sets the chunk limit of this process (tests use tiny chunks to put boundaries everywhere; benchmarks
 * compare sizes) and returns the previous one. Peers with different limits still converge: the limit only
 * decides where a writer puts new text.
 */
export function setTextChunkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('The text chunk limit must be a positive integer.')
  const previous = maxChunk
  maxChunk = limit
  return previous
}

/** Stands for a chunk in its parent's text; not part of the text read. */
export const CHUNK_MARKER = '\ufdd0'

/** The Automerge path of a chunk's text. */
export function chunkPath(id: string): A.Prop[] {
  return id === ROOT_CHUNK ? [ROOT_CHUNK] : [CHUNK_PREFIX + id, 'text']
}

/** A run of one chunk's text, `[from, to)` in the chunk, shown at flat position `flat`. */
export interface Piece {
  readonly chunk: string
  from: number
  to: number
  flat: number
}

/** A child chunk as placed by the layout. */
export interface PlacedChild {
  readonly id: string
  readonly pos: number
  readonly rank: number
  /** Whether the parent has this chunk's marker at `pos` (skipped when reading). */
  readonly marker: boolean
}

/** Where every chunk's text is shown: the pieces in reading order (empty ones included). */
export interface TextLayout {
  readonly pieces: Piece[]
  /** Chunk lengths by id. */
  readonly lengths: Map<string, number>
  /** Each chunk's children, in reading order. */
  readonly children: Map<string, PlacedChild[]>
  /** The pieces' texts, when the layout was made with text. */
  readonly parts?: string[]
  readonly length: number
}

interface StoredChunk {
  readonly id: string
  readonly text: string
  readonly parent: string
  readonly at: string
  readonly rank: number
}

/**
 * The layout of a text document's chunks, or undefined when the root has no text `content`. `doc` should be
 * an Automerge document (or a change's draft): anchors are resolved through it; in anything else an anchor
 * reads as its parent's end, with a problem. Never throws for junk inside chunks: a malformed or unreachable
 * chunk is left out with a problem (T18).
 */
export function layoutText(doc: unknown, problems: Problem[] = [], withText = false): TextLayout | undefined {
  if (!isRecord(doc)) return undefined
  const rootText = asString(doc[ROOT_CHUNK])
  if (rootText === undefined) return undefined
  const stored = new Map<string, StoredChunk>()
  for (const key of Object.keys(doc)) {
    if (!key.startsWith(CHUNK_PREFIX)) continue
    const id = key.slice(CHUNK_PREFIX.length)
    const chunk = readChunk(id, doc[key])
    if (typeof chunk === 'string') problems.push({ path: `/${key}`, message: chunk })
    else stored.set(id, chunk)
  }
  const texts = new Map<string, string>([[ROOT_CHUNK, rootText]])
  for (const chunk of stored.values()) texts.set(chunk.id, chunk.text)
  const children = new Map<string, PlacedChild[]>()
  const automerge = isAutomergeRoot(doc)
  for (const chunk of stored.values()) {
    const parentText = texts.get(chunk.parent)
    if (parentText === undefined) continue // reported below as unreachable
    let pos = parentText.length
    if (chunk.at !== 'e') {
      try {
        if (!automerge) throw new Error('not an Automerge document')
        pos = A.getCursorPosition(doc as A.Doc<unknown>, chunkPath(chunk.parent), chunk.at)
      } catch {
        problems.push({ path: `/${CHUNK_PREFIX}${chunk.id}/at`, message: 'anchor does not resolve in its parent; read at the parent\'s end' })
      }
    }
    const list = children.get(chunk.parent) ?? []
    pos = Math.max(0, Math.min(pos, parentText.length))
    const marker = chunk.at !== 'e' && parentText[pos] === CHUNK_MARKER
    list.push({ id: chunk.id, pos, rank: chunk.rank, marker })
    children.set(chunk.parent, list)
  }
  for (const list of children.values()) list.sort((a, b) => a.pos - b.pos || b.rank - a.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))

  const pieces: Piece[] = []
  const parts: string[] | undefined = withText ? [] : undefined
  const lengths = new Map<string, number>()
  let flat = 0
  const emit = (chunk: string, from: number, to: number): void => {
    pieces.push({ chunk, from, to, flat })
    if (parts) parts.push(from === to ? '' : (texts.get(chunk) as string).slice(from, to))
    flat += to - from
  }
  // Iterative depth-first walk: long chains of chunks must not overflow the stack.
  const visited = new Set<string>([ROOT_CHUNK])
  const stack: Array<{ id: string; local: number; next: number; kids: PlacedChild[]; length: number }> = [
    { id: ROOT_CHUNK, local: 0, next: 0, kids: children.get(ROOT_CHUNK) ?? [], length: rootText.length },
  ]
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!
    const kid = top.kids[top.next]
    if (kid === undefined) {
      emit(top.id, top.local, top.length)
      lengths.set(top.id, top.length)
      stack.pop()
      continue
    }
    top.next++
    if (visited.has(kid.id)) continue
    visited.add(kid.id)
    const pos = Math.max(top.local, kid.pos)
    if (pos > top.local || top.local === 0) emit(top.id, top.local, pos)
    top.local = kid.marker && kid.pos >= top.local ? pos + 1 : pos
    stack.push({ id: kid.id, local: 0, next: 0, kids: children.get(kid.id) ?? [], length: (texts.get(kid.id) as string).length })
  }
  for (const chunk of stored.values()) {
    if (!visited.has(chunk.id)) problems.push({ path: `/${CHUNK_PREFIX}${chunk.id}`, message: 'chunk is not reachable from the content; left out' })
  }
  return { pieces, lengths, children, length: flat, ...(parts ? { parts } : {}) }
}

/** The whole text of a layout made with text. */
export function layoutString(layout: TextLayout): string {
  return (layout.parts ?? []).join('')
}

/**
 * Where an insert at flat `index` goes (T11): just after the character before it, in that character's chunk;
 * at 0, at the start of the first piece.
 */
export function insertionPoint(layout: TextLayout, index: number): { chunk: string; local: number } {
  if (index <= 0) {
    const first = layout.pieces[0]
    return first ? { chunk: first.chunk, local: first.from } : { chunk: ROOT_CHUNK, local: 0 }
  }
  const piece = pieceContaining(layout.pieces, index - 1)
  if (!piece) return { chunk: ROOT_CHUNK, local: layout.lengths.get(ROOT_CHUNK) ?? 0 }
  return { chunk: piece.chunk, local: piece.from + (index - 1 - piece.flat) + 1 }
}

/** The non-empty piece holding flat character `index` (binary search over flat starts). */
export function pieceContaining(pieces: readonly Piece[], index: number): Piece | undefined {
  let lo = 0
  let hi = pieces.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const piece = pieces[mid]!
    if (index < piece.flat) hi = mid - 1
    else if (index >= piece.flat + (piece.to - piece.from)) lo = mid + 1
    else return piece
  }
  return undefined
}

/** The flat position of local position `local` of `chunk`, the way {@link insertionPoint} maps the other way. */
export function flatPosition(pieces: readonly Piece[], chunk: string, local: number): number | undefined {
  const piece = pieceAt(pieces, chunk, local)
  return piece === undefined ? undefined : piece.flat + (local - piece.from)
}

/** The piece of `chunk` that local position `local` falls in: the one ending there, else the one starting there. */
export function pieceAt(pieces: readonly Piece[], chunk: string, local: number): Piece | undefined {
  let starting: Piece | undefined
  for (const piece of pieces) {
    if (piece.chunk !== chunk) continue
    if (local > piece.from && local <= piece.to) return piece
    if (local === piece.from) starting ??= piece
  }
  return starting
}

function readChunk(id: string, value: unknown): StoredChunk | string {
  if (!isRecord(value)) return 'chunk is not an object; left out'
  // Only collaborative text can be edited; an immutable string there is junk.
  const text = typeof value['text'] === 'string' ? value['text'] : undefined
  const parent = asString(value['parent'])
  const at = asString(value['at'])
  const rank = asNumber(value['rank'])
  if (id === '' || text === undefined) return 'chunk has no text; left out'
  if (parent === undefined || at === undefined) return 'chunk has no parent or anchor; left out'
  return { id, text, parent, at, rank: rank !== undefined && Number.isFinite(rank) ? rank : 0 }
}

/** An Automerge document, a view of one or a change's draft: what `getCursorPosition` accepts. */
function isAutomergeRoot(doc: object): boolean {
  try {
    return A.getObjectId(doc) === '_root'
  } catch {
    return false
  }
}
