/**
 * Appending to a grants document (inside `Automerge.change` or `handle.change`). There is no delete or
 * edit: entries are facts signed by their issuers, and a revocation is a new entry.
 */
import { CrdtError } from '../errors.js'
import { isRecord } from '../read/guards.js'
import { bytesEqual, toBase64Url } from './encoding.js'
import { readEntry } from './grants-read.js'
import type { GrantsDoc, StoredGrantEntry } from './grants-schema.js'

/** A signed entry to append: canonical payload bytes and the issuer's signature. */
export interface NewGrantEntry {
  readonly payload: Uint8Array
  readonly signature: Uint8Array
}

/** The id an entry gets in the document: base64url (no padding) of its signature. */
export function grantEntryId(signature: Uint8Array): string {
  return toBase64Url(signature)
}

/**
 * Inside a change: appends signed entries and returns their ids. Appending an entry that is already there
 * changes nothing (idempotent); a malformed value stored under the entry's id is replaced. An entry whose
 * shape is wrong is `INVALID_ARGUMENT`, and then nothing is appended. Signatures are not checked here.
 */
export function appendGrantEntries(doc: GrantsDoc, entries: readonly NewGrantEntry[]): string[] {
  const checked = entries.map((entry, index) => {
    if (!isRecord(entry)) throw new CrdtError('INVALID_ARGUMENT', `Entry ${index} is not a { payload, signature } object.`)
    const signature = entry.signature instanceof Uint8Array ? entry.signature : undefined
    const id = signature === undefined ? '' : grantEntryId(signature)
    const read = readEntry(id, entry)
    if ('reason' in read) throw new CrdtError('INVALID_ARGUMENT', `Entry ${index} cannot be stored: ${read.reason}. Sign it with @quire/node's access functions.`)
    return read
  })
  if (!isRecord(doc.entries)) doc.entries = {}
  const stored = doc.entries
  for (const entry of checked) {
    const existing = Object.prototype.hasOwnProperty.call(stored, entry.id) ? readEntry(entry.id, stored[entry.id]) : undefined
    if (existing !== undefined && !('reason' in existing) && bytesEqual(existing.payload, entry.payload)) continue
    // Copies: Automerge must not keep a reference to a buffer the caller may reuse.
    const value: StoredGrantEntry = { payload: new Uint8Array(entry.payload), signature: new Uint8Array(entry.signature) }
    stored[entry.id] = value
  }
  return checked.map((entry) => entry.id)
}
