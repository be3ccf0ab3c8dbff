/**
 * What every Quire document shares: a `type` tag, a schema version, and readers that accept any value and
 * return a typed result instead of throwing (a document that came from a peer may have any shape).
 */
import { CrdtError } from '../errors.js'
import { asInteger, isRecord, type Problem, asString } from '../read/guards.js'

/** The `type` tag of each kind of Quire document. */
export const DOCUMENT_TYPES = {
  project: 'quire/project',
  text: 'quire/text',
  chat: 'quire/chat',
  notebook: 'quire/notebook',
  grants: 'quire/grants',
} as const

/** One of the `type` tags in {@link DOCUMENT_TYPES}. */
export type DocumentType = (typeof DOCUMENT_TYPES)[keyof typeof DOCUMENT_TYPES]

/**
 * The schema version this code writes for project, text and chat documents. Readers also read documents
 * written with a newer version (best effort, with a problem saying so), because schema changes are additive.
 */
export const SCHEMA_VERSION = 1

/**
 * The result of reading an untrusted document: either a typed value (with the problems that were
 * tolerated, e.g. one broken file entry), or an `INVALID_DOCUMENT` error when nothing usable is there.
 */
export type DocumentReadResult<T> =
  | { readonly ok: true; readonly value: T; readonly problems: readonly Problem[] }
  | { readonly ok: false; readonly error: CrdtError }

/** What {@link readHeader} found in a document root. */
export interface DocumentHeader {
  readonly root: Record<string, unknown>
  readonly schemaVersion: number
}

/** Reads `type` and `schemaVersion`, pushing tolerated problems; a missing or wrong tag is fatal. */
export function readHeader(doc: unknown, expected: DocumentType, problems: Problem[]): DocumentHeader | CrdtError {
  if (!isRecord(doc)) {
    return invalid(`This is not a ${expected} document (its root is not an object). Open the right document URL.`)
  }
  const type = asString(doc['type'])
  if (type !== expected) {
    const found = type === undefined ? 'no type tag' : `type "${type.slice(0, 64)}"`
    return invalid(`Expected a ${expected} document but found ${found}. Open the right document URL.`)
  }
  const version = asInteger(doc['schemaVersion'])
  if (version === undefined || version < 1) {
    problems.push({ path: '/schemaVersion', message: 'missing or not a positive integer; read as version 1' })
    return { root: doc, schemaVersion: 1 }
  }
  if (version > SCHEMA_VERSION) {
    problems.push({
      path: '/schemaVersion',
      message: `written with schema version ${version}, newer than ${SCHEMA_VERSION}; update Quire to see everything`,
    })
  }
  return { root: doc, schemaVersion: version }
}

export function invalid(message: string, cause?: unknown): CrdtError {
  return new CrdtError('INVALID_DOCUMENT', message, cause === undefined ? undefined : { cause })
}

/**
 * Runs a reader and turns anything it throws (a hostile getter, a proxy) into `INVALID_DOCUMENT`, so that
 * readers keep their promise never to throw.
 */
export function safeRead<T>(expected: DocumentType, read: () => DocumentReadResult<T>): DocumentReadResult<T> {
  try {
    return read()
  } catch (cause) {
    return { ok: false, error: invalid(`This ${expected} document could not be read. It may be corrupt.`, cause) }
  }
}
