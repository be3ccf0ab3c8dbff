/**
 * Text documents (source files, Markdown, LaTeX): one `content` field of Automerge collaborative text.
 * Indexes are UTF-16 code units, as in JS strings and CodeMirror.
 */
import * as A from '@automerge/automerge'
import { CrdtError } from '../errors.js'
import type { Problem } from '../read/guards.js'

import { DOCUMENT_TYPES, SCHEMA_VERSION, invalid, readHeader, safeRead, type DocumentReadResult } from './header.js'
import { asString } from '../read/guards.js'

/** The stored shape of a text document. */
export interface TextDoc {
  type: typeof DOCUMENT_TYPES.text
  schemaVersion: number
  /** Collaborative text (an Automerge string). */
  content: string
}

/** What {@link readText} returns for a readable text document. */
export interface TextRead {
  readonly schemaVersion: number
  readonly content: string
}

/**
 * A new text document. It is an Automerge document, so it can be changed, cloned and merged directly, and
 * also passed as the initial value to `repo.create(...)` or `Automerge.from(...)`.
 */
export function createText(content = ''): A.Doc<TextDoc> {
  if (typeof content !== 'string') throw new CrdtError('INVALID_ARGUMENT', 'Text content must be a string.')
  const doc: TextDoc = { type: DOCUMENT_TYPES.text, schemaVersion: SCHEMA_VERSION, content }
  return A.from(doc as unknown as Record<string, unknown>) as A.Doc<TextDoc>
}

/**
 * Inside `Automerge.change` (or `handle.change`): deletes `deleteCount` code units at `index`, then inserts
 * `insert` there. Throws `INVALID_ARGUMENT` when the range is outside the current content.
 */
export function spliceText(doc: TextDoc, index: number, deleteCount: number, insert = ''): void {
  const length = currentContent(doc).length
  if (!Number.isSafeInteger(index) || index < 0 || index > length) {
    throw new CrdtError('INVALID_ARGUMENT', `Splice index ${index} is outside the text (length ${length}).`)
  }
  if (!Number.isSafeInteger(deleteCount) || deleteCount < 0 || index + deleteCount > length) {
    throw new CrdtError('INVALID_ARGUMENT', `Cannot delete ${deleteCount} characters at ${index} from a text of length ${length}.`)
  }
  if (typeof insert !== 'string') throw new CrdtError('INVALID_ARGUMENT', 'Inserted text must be a string.')
  if (deleteCount === 0 && insert === '') return
  A.splice(doc, ['content'], index, deleteCount, insert)
}

/**
 * Inside a change: makes the content equal to `newContent` with a minimal character diff, so concurrent
 * edits elsewhere in the text survive (a workspace file rewritten by a terminal becomes a small change).
 */
export function setText(doc: TextDoc, newContent: string): void {
  if (typeof newContent !== 'string') throw new CrdtError('INVALID_ARGUMENT', 'Text content must be a string.')
  currentContent(doc)
  A.updateText(doc, ['content'], newContent)
}

/** Reads any value as a text document; never throws. */
export function readText(doc: unknown): DocumentReadResult<TextRead> {
  return safeRead(DOCUMENT_TYPES.text, () => {
    const problems: Problem[] = []
    const header = readHeader(doc, DOCUMENT_TYPES.text, problems)
    if (header instanceof CrdtError) return { ok: false, error: header }
    const content = asString(header.root['content'])
    if (content === undefined) {
      return { ok: false, error: invalid('This text document has no readable content field. It may be corrupt.') }
    }
    return { ok: true, value: { schemaVersion: header.schemaVersion, content }, problems }
  })
}

function currentContent(doc: TextDoc): string {
  const content: unknown = (doc as { content?: unknown }).content
  if (typeof content !== 'string') {
    throw new CrdtError('INVALID_DOCUMENT', 'This text document has no text content field to edit. It may be corrupt.')
  }
  return content
}
