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

/**
 * Resolved marker positions by parent chunk, with the parent's text and the set of its children's cursors
 * (with the children's random ids) they were resolved for. Markers are never deleted, and two markers never change their relative order, so
 * the same text with the same set of markers puts every marker at the same index, in any document and any
 * version: while a parent's text is unchanged (most chunks, most of the time), resolving again through
 * Automerge is skipped. (The text alone is not enough: all markers are the same character, and another
 * peer's copy may hold other markers at the same places.)
 */
const anchorCache = new Map<string, { text: string; cursors: string; positions: Map<string, number> }>()
const MAX_CACHED_ANCHORS = 50_000

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
  readonly parent: string
  readonly at: string
  readonly rank: number
}

/** A chunk's text as the layout needs it: its length, single characters and slices. */
interface ChunkText {
  readonly length: number
  charAt(index: number): string
  slice(from: number, to: number): string
  /** The whole text when it is at hand for free (a materialized document), for the anchor cache. */
  readonly key: string | undefined
}

interface ChunkSource {
  readonly stored: Map<string, StoredChunk>
  readonly texts: Map<string, ChunkText>
  resolve(chunk: string, cursor: string): number
}

function stringText(text: string): ChunkText {
  return { length: text.length, charAt: (i) => text.charAt(i), slice: (from, to) => text.slice(from, to), key: text }
}

/** Reads chunks from plain or materialized values. */
function jsSource(doc: Record<string, unknown>, problems: Problem[]): ChunkSource | undefined {
  const rootText = asString(doc[ROOT_CHUNK])
  if (rootText === undefined) return undefined
  const stored = new Map<string, StoredChunk>()
  const texts = new Map<string, ChunkText>([[ROOT_CHUNK, stringText(rootText)]])
  for (const key of Object.keys(doc)) {
    if (!key.startsWith(CHUNK_PREFIX)) continue
    const id = key.slice(CHUNK_PREFIX.length)
    const value = doc[key]
    const text = isRecord(value) && typeof value['text'] === 'string' ? value['text'] : undefined
    const chunk = readChunk(id, value, text !== undefined)
    if (typeof chunk === 'string') problems.push({ path: `/${key}`, message: chunk })
    else {
      stored.set(id, chunk)
      texts.set(id, stringText(text!))
    }
  }
  return { stored, texts, resolve: (chunk, cursor) => A.getCursorPosition(doc as A.Doc<unknown>, chunkPath(chunk), cursor) }
}

/**
 * Inside a change, reading a text through the draft copies all of it out of Automerge, so a layout made that
 * way costs the whole document on every keystroke. The draft's backend answers lengths, single characters
 * and cursors directly (in `changeAt` it is isolated at the change's heads, as the draft is).
 */
function backendSource(doc: Record<string, unknown>, problems: Problem[]): ChunkSource | undefined {
  const handle = A.getBackend(doc as A.Doc<unknown>) as unknown as Backend
  const textObject = (obj: string, prop: string): string | undefined => {
    const found = handle.getWithType(obj, prop)
    return found !== null && found !== undefined && found[0] === 'text' ? (found[1] as string) : undefined
  }
  const backendText = (obj: string): ChunkText => ({
    length: handle.length(obj),
    charAt: (i) => {
      const ch = handle.get(obj, i)
      return typeof ch === 'string' ? ch : ''
    },
    slice: (from, to) => handle.text(obj).slice(from, to),
    key: undefined,
  })
  const root = textObject('_root', ROOT_CHUNK)
  if (root === undefined) return undefined
  const stored = new Map<string, StoredChunk>()
  const texts = new Map<string, ChunkText>([[ROOT_CHUNK, backendText(root)]])
  const objects = new Map<string, string>([[ROOT_CHUNK, root]])
  for (const key of handle.keys('_root')) {
    if (!key.startsWith(CHUNK_PREFIX)) continue
    const id = key.slice(CHUNK_PREFIX.length)
    const map = handle.getWithType('_root', key)
    if (map === null || map === undefined || map[0] !== 'map') {
      problems.push({ path: `/${key}`, message: 'chunk is not an object; left out' })
      continue
    }
    const obj = map[1] as string
    // parent, at and rank never change after a chunk is made, and object ids are unique: read them once.
    const metaKey = `${key}|${obj}`
    let meta = chunkMeta.get(metaKey)
    if (meta === undefined) {
      const text = textObject(obj, 'text')
      const scalar = (prop: string): unknown => {
        const found = handle.getWithType(obj, prop)
        if (found === null || found === undefined) return undefined
        if (found[0] === 'text') return handle.text(found[1] as string)
        return found[0] === 'str' ? found[1] : found[0] === 'int' || found[0] === 'uint' || found[0] === 'f64' ? found[1] : undefined
      }
      meta = { text, chunk: readChunk(id, { parent: scalar('parent'), at: scalar('at'), rank: scalar('rank') }, text !== undefined) }
      // Only well-formed chunks are cached: junk may still be repaired by a later change.
      if (typeof meta.chunk !== 'string') {
        if (chunkMeta.size >= MAX_CACHED_ANCHORS) chunkMeta.clear()
        chunkMeta.set(metaKey, meta)
      }
    }
    const chunk = meta.chunk
    if (typeof chunk === 'string') problems.push({ path: `/${key}`, message: chunk })
    else {
      stored.set(id, chunk.id === id ? chunk : { ...chunk, id })
      texts.set(id, backendText(meta.text!))
      objects.set(id, meta.text!)
    }
  }
  return { stored, texts, resolve: (chunk, cursor) => handle.getCursorPosition(objects.get(chunk)!, cursor) }
}

/** A chunk's fixed fields and its text object, by its key and the chunk map's object id (unique together). */
const chunkMeta = new Map<string, { text: string | undefined; chunk: StoredChunk | string }>()

/** The part of Automerge's wasm handle the layout uses. */
interface Backend {
  keys(obj: string): string[]
  getWithType(obj: string, prop: string | number): [string, unknown] | null | undefined
  get(obj: string, prop: string | number): unknown
  length(obj: string): number
  text(obj: string): string
  getCursorPosition(obj: string, cursor: string): number
  getHeads(): string[]
}

/** A change's draft (Automerge marks its proxies with this symbol); materialized documents and views are not. */
function isDraft(doc: object): boolean {
  try {
    return Boolean(Reflect.get(doc, Symbol.for('_am_isProxy'))) && A.getObjectId(doc) === '_root'
  } catch {
    return false
  }
}

/**
 * The layout of a text document's chunks, or undefined when the root has no text `content`. `doc` should be
 * an Automerge document (or a change's draft): anchors are resolved through it; in anything else an anchor
 * reads as its parent's end, with a problem. Never throws for junk inside chunks: a malformed or unreachable
 * chunk is left out with a problem (T18).
 */
export function layoutText(doc: unknown, problems: Problem[] = [], withText = false): TextLayout | undefined {
  if (!isRecord(doc)) return undefined
  const source = isDraft(doc) ? backendSource(doc, problems) : jsSource(doc, problems)
  if (source === undefined) return undefined
  const { stored, texts } = source
  const rootText = texts.get(ROOT_CHUNK)!
  const children = new Map<string, PlacedChild[]>()
  const automerge = isAutomergeRoot(doc)
  // Every chunk's marker children, resolved together per parent so the cache can check them as a set.
  const anchored = new Map<string, StoredChunk[]>()
  for (const chunk of stored.values()) {
    if (!texts.has(chunk.parent)) continue // reported below as unreachable
    const list = anchored.get(chunk.parent) ?? []
    list.push(chunk)
    anchored.set(chunk.parent, list)
  }
  for (const [parent, chunks] of anchored) {
    const parentText = texts.get(parent)!
    const cursors = chunks.filter((c) => c.at !== 'e').map((c) => `${c.id}=${c.at}`).sort().join(' ')
    const cached = parentText.key === undefined ? undefined : anchorCache.get(parent)
    const reuse = automerge && cached !== undefined && cached.text === parentText.key && cached.cursors === cursors
    const positions = reuse ? cached.positions : new Map<string, number>()
    for (const chunk of chunks) {
      let pos = parentText.length
      if (chunk.at !== 'e') {
        const known = positions.get(chunk.at)
        if (known !== undefined) pos = known
        else {
          try {
            if (!automerge) throw new Error('not an Automerge document')
            pos = source.resolve(parent, chunk.at)
            positions.set(chunk.at, pos)
          } catch {
            problems.push({ path: `/${CHUNK_PREFIX}${chunk.id}/at`, message: 'anchor does not resolve in its parent; read at the parent\'s end' })
          }
        }
      }
      pos = Math.max(0, Math.min(pos, parentText.length))
      const marker = chunk.at !== 'e' && parentText.charAt(pos) === CHUNK_MARKER
      const list = children.get(parent) ?? []
      list.push({ id: chunk.id, pos, rank: chunk.rank, marker })
      children.set(parent, list)
    }
    if (automerge && !reuse && parentText.key !== undefined && cursors !== '') {
      if (anchorCache.size >= MAX_CACHED_ANCHORS) anchorCache.clear()
      anchorCache.set(parent, { text: parentText.key, cursors, positions })
    }
  }
  for (const list of children.values()) list.sort((a, b) => a.pos - b.pos || b.rank - a.rank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))

  const pieces: Piece[] = []
  const parts: string[] | undefined = withText ? [] : undefined
  const lengths = new Map<string, number>()
  let flat = 0
  const emit = (chunk: string, from: number, to: number): void => {
    pieces.push({ chunk, from, to, flat })
    if (parts) parts.push(from === to ? '' : texts.get(chunk)!.slice(from, to))
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
    stack.push({ id: kid.id, local: 0, next: 0, kids: children.get(kid.id) ?? [], length: texts.get(kid.id)!.length })
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

function readChunk(id: string, value: unknown, hasText: boolean): StoredChunk | string {
  if (!isRecord(value)) return 'chunk is not an object; left out'
  // Only collaborative text can be edited; an immutable string there is junk.
  const parent = asString(value['parent'])
  const at = asString(value['at'])
  const rank = asNumber(value['rank'])
  if (id === '' || !hasText) return 'chunk has no text; left out'
  if (parent === undefined || at === undefined) return 'chunk has no parent or anchor; left out'
  return { id, parent, at, rank: rank !== undefined && Number.isFinite(rank) ? rank : 0 }
}

/** An Automerge document, a view of one or a change's draft: what `getCursorPosition` accepts. */
function isAutomergeRoot(doc: object): boolean {
  try {
    return A.getObjectId(doc) === '_root'
  } catch {
    return false
  }
}
