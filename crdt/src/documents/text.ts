/**
 * Text documents (source files, Markdown, LaTeX). The text is stored in chunks (text-chunks.ts, T8 to T20)
 * and read and written through flat UTF-16 code-unit indexes, as in JS strings and CodeMirror.
 */
import * as A from '@automerge/automerge'
import { CrdtError } from '../errors.js'
import type { Problem } from '../read/guards.js'

import { DOCUMENT_TYPES, SCHEMA_VERSION, invalid, readHeader, safeRead, type DocumentReadResult } from './header.js'
import { newCellId } from '../notebook/cell-id.js'
import { CHUNK_MARKER, CHUNK_PREFIX, ROOT_CHUNK, chunkPath, insertionPoint, layoutString, layoutText, textChunkLimit, type TextLayout } from './text-chunks.js'
import { diffLines } from './text-history.js'

/** A chunk other than the root: its text is read in `parent`'s text in place of the marker `at` names. */
export interface TextChunk {
  /** Collaborative text (an Automerge string), at most the chunk limit when written. */
  text: string
  /** The id of the chunk whose text holds this one (`content` for the root). */
  parent: string
  /** An Automerge cursor of the marker in the parent's text (`e`: its end), an immutable string. */
  at: string
  /** Chunks anchored at one parent's end are read by rank, higher first (0 for marker anchors). */
  rank: number
}

/** The stored shape of a text document. */
export interface TextDoc {
  type: typeof DOCUMENT_TYPES.text
  schemaVersion: number
  /** The root chunk (collaborative text); the whole text of documents written before chunks. */
  content: string
  [chunk: `chunk:${string}`]: TextChunk
}

/** What {@link readText} returns for a readable text document. */
export interface TextRead {
  readonly schemaVersion: number
  /** The whole text, every chunk in place. */
  readonly content: string
}

/**
 * A new text document. It is an Automerge document, so it can be changed, cloned and merged directly, and
 * also passed as the initial value to `repo.create(...)` or `Automerge.from(...)`. A long text is stored as
 * chunks of three quarters of the chunk limit (T9).
 */
export function createText(content = ''): A.Doc<TextDoc> {
  if (typeof content !== 'string') throw new CrdtError('INVALID_ARGUMENT', 'Text content must be a string.')
  // Three quarters full, so that typing in place fills a chunk before it needs a new one.
  const [first = '', ...rest] = slices(content, Math.max(1, Math.floor((textChunkLimit() * 3) / 4)))
  const doc: Record<string, unknown> = { type: DOCUMENT_TYPES.text, schemaVersion: SCHEMA_VERSION, content: first }
  rest.forEach((text, i) => {
    doc[CHUNK_PREFIX + newChunkId(doc)] = { text, parent: new A.ImmutableString(ROOT_CHUNK), at: new A.ImmutableString('e'), rank: rest.length - i }
  })
  return A.from(doc) as A.Doc<TextDoc>
}

/**
 * Inside `Automerge.change` (or `handle.change`): deletes `deleteCount` code units at `index`, then inserts
 * `insert` there. Throws `INVALID_ARGUMENT` when the range is outside the current content.
 */
export function spliceText(doc: TextDoc, index: number, deleteCount: number, insert = ''): void {
  const layout = editableLayout(doc)
  const length = layout.length
  if (!Number.isSafeInteger(index) || index < 0 || index > length) {
    throw new CrdtError('INVALID_ARGUMENT', `Splice index ${index} is outside the text (length ${length}).`)
  }
  if (!Number.isSafeInteger(deleteCount) || deleteCount < 0 || index + deleteCount > length) {
    throw new CrdtError('INVALID_ARGUMENT', `Cannot delete ${deleteCount} characters at ${index} from a text of length ${length}.`)
  }
  if (typeof insert !== 'string') throw new CrdtError('INVALID_ARGUMENT', 'Inserted text must be a string.')
  if (deleteCount === 0 && insert === '') return
  spliceLayout(doc, layout, index, deleteCount, insert)
}

/** One replacement, positions in the text before any of a list of splices. */
export interface TextSplice {
  readonly at: number
  readonly remove: number
  readonly insert: string
}

/**
 * Inside a change: applies `splices` (positions in the current text, increasing, not overlapping), last
 * first so that each position still means what it meant (T19). For callers that diff texts themselves.
 */
export function applyTextSplices(doc: TextDoc, splices: readonly TextSplice[]): void {
  for (let i = splices.length - 1; i >= 0; i--) {
    const s = splices[i]!
    spliceText(doc, s.at, s.remove, s.insert)
  }
}

/**
 * Inside a change: makes the content equal to `newContent` with a small change (a line diff, then the
 * changed characters inside each changed run of lines), so concurrent edits in unchanged lines survive.
 */
export function setText(doc: TextDoc, newContent: string): void {
  if (typeof newContent !== 'string') throw new CrdtError('INVALID_ARGUMENT', 'Text content must be a string.')
  const layout = editableLayout(doc, true)
  const before = layoutString(layout)
  if (before === newContent) return
  const splices: TextSplice[] = []
  let at = 0
  let removed: string[] = []
  let added: string[] = []
  const flush = (): void => {
    if (removed.length === 0 && added.length === 0) return
    splices.push(...charSplice(at, removed.join(''), added.join('')))
    at += removed.reduce((n, line) => n + line.length, 0)
    removed = []
    added = []
  }
  // Lines with their newline (none after the last line), so joining them gives the texts back exactly.
  const lastA = before.split('\n').length - 1
  const lastB = newContent.split('\n').length - 1
  let ia = 0
  let ib = 0
  for (const part of diffLines(before, newContent)) {
    for (const line of part.lines) {
      if (part.op === 'same') {
        flush()
        at += line.length + (ia++ < lastA ? 1 : 0)
        ib++
      } else if (part.op === 'removed') removed.push(line + (ia++ < lastA ? '\n' : ''))
      else added.push(line + (ib++ < lastB ? '\n' : ''))
    }
  }
  flush()
  applyTextSplices(doc, splices)
}

/** Reads any value as a text document; never throws. */
export function readText(doc: unknown): DocumentReadResult<TextRead> {
  return safeRead(DOCUMENT_TYPES.text, () => {
    const problems: Problem[] = []
    const header = readHeader(doc, DOCUMENT_TYPES.text, problems)
    if (header instanceof CrdtError) return { ok: false, error: header }
    const layout = layoutText(header.root, problems, true)
    if (layout === undefined) {
      return { ok: false, error: invalid('This text document has no readable content field. It may be corrupt.') }
    }
    return { ok: true, value: { schemaVersion: header.schemaVersion, content: layoutString(layout) }, problems }
  })
}

/** The layout of a document being changed; `INVALID_DOCUMENT` when it has no text content. */
export function editableLayout(doc: TextDoc, withText = false): TextLayout {
  const layout = typeof (doc as { content?: unknown }).content === 'string' ? layoutText(doc, [], withText) : undefined
  if (layout === undefined) {
    throw new CrdtError('INVALID_DOCUMENT', 'This text document has no text content field to edit. It may be corrupt.')
  }
  return layout
}

/** {@link spliceText} on a layout of `doc` made in this change, arguments already checked. */
function spliceLayout(doc: TextDoc, layout: TextLayout, index: number, deleteCount: number, insert: string): void {
  // Where the insert goes, settled before deleting: every deleted character comes after it (T11).
  const point = insertionPoint(layout, index)
  const ranges = new Map<string, Array<[number, number]>>()
  for (const piece of layout.pieces) {
    const start = Math.max(index, piece.flat)
    const end = Math.min(index + deleteCount, piece.flat + piece.to - piece.from)
    if (start >= end) continue
    const list = ranges.get(piece.chunk) ?? []
    list.push([piece.from + start - piece.flat, piece.from + end - piece.flat])
    ranges.set(piece.chunk, list)
  }
  let deletedInPoint = 0
  for (const [chunk, list] of ranges) {
    // Last first, so earlier local positions still hold (T13: a delete across chunks deletes in each).
    list.sort((a, b) => b[0] - a[0])
    for (const [from, to] of list) A.splice(doc as A.Doc<TextDoc>, chunkPath(chunk), from, to - from, '')
    if (chunk === point.chunk) deletedInPoint = list.reduce((n, [from, to]) => n + to - from, 0)
  }
  if (insert === '') return
  const path = chunkPath(point.chunk)
  const length = (layout.lengths.get(point.chunk) ?? 0) - deletedInPoint
  const limit = textChunkLimit()
  if (length + insert.length <= limit) {
    A.splice(doc as A.Doc<TextDoc>, path, point.local, 0, insert)
    return
  }
  // The chunk is full: a marker goes there and the text into new chunks read in its place (T12); the old
  // text never moves, so concurrent edits of it stay where they were made.
  A.splice(doc as A.Doc<TextDoc>, path, point.local, 0, CHUNK_MARKER)
  const root = doc as unknown as Record<string, unknown>
  // A chain: each further chunk at the end of the one before, so a paste stays in one piece even when
  // another peer pastes at the same place at the same time.
  let parent = point.chunk
  let anchor = A.getCursor(doc as A.Doc<TextDoc>, path, point.local)
  for (const text of slices(insert, limit)) {
    const id = newChunkId(root)
    root[CHUNK_PREFIX + id] = { text, parent: new A.ImmutableString(parent), at: new A.ImmutableString(anchor), rank: 0 }
    parent = id
    anchor = 'e'
  }
}

function newChunkId(root: Record<string, unknown>): string {
  return newCellId((id) => Object.prototype.hasOwnProperty.call(root, CHUNK_PREFIX + id))
}

/** `text` in slices of at most `limit` code units, never splitting a surrogate pair (none for ''). */
export function slices(text: string, limit: number): string[] {
  const out: string[] = []
  let start = 0
  while (start < text.length) {
    let end = Math.min(start + limit, text.length)
    const code = text.charCodeAt(end - 1)
    if (end < text.length && end - start > 1 && code >= 0xd800 && code <= 0xdbff) end--
    out.push(text.slice(start, end))
    start = end
  }
  return out
}

/** The character splices turning `before` into `after` at `at`: one replacement between prefix and suffix. */
function charSplice(at: number, before: string, after: string): TextSplice[] {
  let start = 0
  const max = Math.min(before.length, after.length)
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++
  if (start > 0 && isHigh(before.charCodeAt(start - 1))) start--
  let end = 0
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++
  if (end > 0 && isHigh(before.charCodeAt(before.length - 1 - end))) end--
  if (start === before.length - end && start === after.length - end) return []
  return [{ at: at + start, remove: before.length - end - start, insert: after.slice(start, after.length - end) }]
}

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}
