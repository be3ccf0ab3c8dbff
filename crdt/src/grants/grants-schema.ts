/**
 * The grants document: who may do what in one project. It holds the project id, the owner's peer id and an
 * append-only collection of signed entries (grants, revocations, invite redemptions), each an opaque
 * `{ payload, signature }` pair made and checked by @quire/node's access module. This package does no
 * crypto: it stores, validates the shape of, and decodes entries.
 *
 * Entries are a map keyed by the entry id, the base64url form of the entry's Ed25519 signature (not a
 * list). Concurrent appends by two admins have distinct keys, so both survive a merge, as they would in a
 * list; but the same entry appended twice (two devices of one admin accepting one redemption, a re-sync of
 * an old copy) lands on the same key with the same value and counts once, and "is this entry here" is a key
 * lookup. Ed25519 signatures are deterministic, so one key and one payload always give one id.
 */
import * as A from '@automerge/automerge'
import type { ImmutableString } from '@automerge/automerge'
import { atom, requireId, requirePeerId } from '../documents/atoms.js'
import { SCHEMA_VERSION } from '../documents/header.js'

/** The `type` tag of grants documents. */
export const GRANTS_DOCUMENT_TYPE = 'quire/grants'

/** Length of an Ed25519 signature, the only signature scheme of Quire identities. */
export const SIGNATURE_BYTES = 64

/** The stored shape of one entry: canonical payload bytes and the issuer's signature over them. */
export interface StoredGrantEntry {
  payload: Uint8Array
  signature: Uint8Array
}

/** The stored shape of a grants document. Read it with `readGrants`, append with `appendGrantEntries`. */
export interface GrantsDoc {
  type: typeof GRANTS_DOCUMENT_TYPE
  schemaVersion: number
  /** The project these grants are about (the project document's id). */
  project: ImmutableString
  /** Peer id of the key that created, and owns, the project. */
  owner: ImmutableString
  /** Entry id (base64url of the signature) to entry. Append only. */
  entries: Record<string, StoredGrantEntry>
}

/** What `createGrants` needs. */
export interface GrantsInit {
  /** The project id (the project document's id): letters, digits, "-" or "_". */
  readonly project: string
  /** Peer id of the project's owner. */
  readonly owner: string
}

/** A new, empty grants document (also fine as the initial value of `repo.create`). */
export function createGrants(init: GrantsInit): A.Doc<GrantsDoc> {
  const doc: GrantsDoc = {
    type: GRANTS_DOCUMENT_TYPE,
    schemaVersion: SCHEMA_VERSION,
    project: atom(requireId(init.project, 'The project id')),
    owner: atom(requirePeerId(init.owner, 'The owner')),
    entries: {},
  }
  return A.from(doc as unknown as Record<string, unknown>) as A.Doc<GrantsDoc>
}
