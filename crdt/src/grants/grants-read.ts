/**
 * Reading a grants document from any value. An entry whose shape is wrong (not bytes, a signature of the
 * wrong length, a key that is not its signature's id, a payload that is not canonical) is returned as
 * broken with a reason; every other entry is returned as an opaque signed record with its decoded fields.
 * Whether an entry is trusted is decided by verifying signatures (@quire/node), never here.
 */
import { CrdtError } from '../errors.js'
import { isRecord, type Problem, asString } from '../read/guards.js'
import { isPeerIdString, isValidId } from '../documents/atoms.js'
import { DOCUMENT_TYPES, readHeader, safeRead, type DocumentReadResult } from '../documents/header.js'
import { toBase64Url } from './encoding.js'
import { SIGNATURE_BYTES } from './grants-schema.js'
import { decodePayload, type PayloadFields } from './payload.js'

const GRANTS_TYPE = DOCUMENT_TYPES.grants

/** One well-formed entry: the signed bytes and their decoded fields. Not yet verified. */
export interface SignedEntry {
  /** The entry id: base64url of `signature` (the entry's key in the document). */
  readonly id: string
  /** The payload's `kind` field (`grant`, `revocation`, `redemption`, or a kind from a newer version). */
  readonly kind: string
  readonly payload: Uint8Array
  readonly signature: Uint8Array
  readonly fields: PayloadFields
}

/** An entry that could not be read; shown as broken and never trusted. */
export interface BrokenGrantEntry {
  readonly id: string
  readonly reason: string
}

/** What {@link readGrants} returns for a readable grants document. */
export interface GrantsRead {
  readonly schemaVersion: number
  /** The stored project id, or null when missing or malformed. */
  readonly project: string | null
  /** The stored owner peer id, or null when missing or malformed. */
  readonly owner: string | null
  /** Well-formed entries, sorted by id (the same order on every peer). */
  readonly entries: readonly SignedEntry[]
  readonly brokenEntries: readonly BrokenGrantEntry[]
}

/** Reads any value as a grants document; never throws. */
export function readGrants(doc: unknown): DocumentReadResult<GrantsRead> {
  return safeRead(GRANTS_TYPE, () => {
    const problems: Problem[] = []
    const header = readHeader(doc, GRANTS_TYPE, problems)
    if (header instanceof CrdtError) return { ok: false, error: header }
    const root = header.root
    const project = asString(root['project'])
    const owner = asString(root['owner'])
    const validProject = project !== undefined && isValidId(project) ? project : null
    const validOwner = isPeerIdString(owner) ? owner : null
    if (validProject === null) problems.push({ path: '/project', message: 'missing or not a project id' })
    if (validOwner === null) problems.push({ path: '/owner', message: 'missing or not a peer id' })
    const entries: SignedEntry[] = []
    const brokenEntries: BrokenGrantEntry[] = []
    const stored = root['entries']
    if (isRecord(stored)) {
      for (const id of Object.keys(stored).sort()) {
        const read = readEntry(id, stored[id])
        if ('reason' in read) {
          brokenEntries.push(read)
          problems.push({ path: `/entries/${id.slice(0, 128)}`, message: read.reason })
        } else entries.push(read)
      }
    } else problems.push({ path: '/entries', message: 'missing or not a map; no entries' })
    return { ok: true, value: { schemaVersion: header.schemaVersion, project: validProject, owner: validOwner, entries, brokenEntries }, problems }
  })
}

/** Checks one stored entry's shape; exported for `appendGrantEntries`, which refuses what this would break. */
export function readEntry(id: string, raw: unknown): SignedEntry | BrokenGrantEntry {
  if (!isRecord(raw)) return { id, reason: 'the entry is not a map' }
  const { payload, signature } = raw as { payload?: unknown; signature?: unknown }
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) {
    return { id, reason: `the entry has no ${SIGNATURE_BYTES}-byte signature` }
  }
  if (toBase64Url(signature) !== id) return { id, reason: 'the entry id is not the base64url form of its signature' }
  const decoded = decodePayload(payload)
  if (!decoded.ok) return { id, reason: decoded.reason }
  const kind = decoded.fields['kind']
  if (typeof kind !== 'string' || kind === '') return { id, reason: 'the payload has no kind' }
  return { id, kind, payload: payload as Uint8Array, signature, fields: decoded.fields }
}
