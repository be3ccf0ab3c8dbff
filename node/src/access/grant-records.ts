/** Signing and verifying grants and revocations, one at a time (membership checks whole documents). */
import type { PrivateKey } from '@libp2p/interface'
import { AccessError } from './errors.js'
import { isEd25519PeerId } from './keys.js'
import { isEntryId, isProjectId, isTime, type Grant, type Revocation } from './records.js'
import { isRole, type Role } from './roles.js'
import { checkSigned, isRejection, signRecord, type SignedRecord } from './signing.js'

/** What `signGrant` needs. */
export interface GrantInit {
  readonly project: string
  /** Peer id of the peer that gets the role. */
  readonly subject: string
  readonly role: Role
  /** When it is signed (ms since 1970); defaults to now. */
  readonly issued?: number
  /** When it stops counting (ms since 1970); omit for never. */
  readonly expires?: number | null
}

/** What `signRevocation` needs. */
export interface RevocationInit {
  readonly project: string
  /** Entry id of the grant or invite to withdraw. */
  readonly target: string
  readonly issued?: number
}

/** A stored or received entry: canonical payload and signature. */
export interface EntryBytes {
  readonly payload: Uint8Array
  readonly signature: Uint8Array
}

/**
 * Signs a grant with the issuer's key. It counts only if the issuer is the owner or an admin when
 * membership is computed (`computeMembership`); signing does not check that.
 */
export async function signGrant(key: PrivateKey, init: GrantInit): Promise<SignedRecord<Grant>> {
  requireProject(init.project)
  if (!isEd25519PeerId(init.subject)) throw new AccessError('INVALID_ARGUMENT', `The subject must be an Ed25519 peer id string, got "${String(init.subject).slice(0, 80)}".`)
  if (!isRole(init.role)) throw new AccessError('INVALID_ARGUMENT', `Unknown role "${String(init.role).slice(0, 40)}": use admin, writer, reader, compute or relay.`)
  const issued = requireTime(init.issued ?? Date.now(), 'issued')
  const expires = init.expires == null ? undefined : requireTime(init.expires, 'expires')
  return signRecord(key, 'grant', { project: init.project, subject: init.subject, role: init.role, issued, expires })
}

/** Signs the revocation of a grant (or an invite) by its entry id. */
export async function signRevocation(key: PrivateKey, init: RevocationInit): Promise<SignedRecord<Revocation>> {
  requireProject(init.project)
  if (!isEntryId(init.target)) throw new AccessError('INVALID_ARGUMENT', 'The target must be the entry id of a grant or invite (86 base64url characters).')
  const issued = requireTime(init.issued ?? Date.now(), 'issued')
  return signRecord(key, 'revocation', { project: init.project, target: init.target, issued })
}

/** Verifies one grant's signature and shape (not its chain: see `computeMembership`). */
export async function verifyGrant(entry: EntryBytes): Promise<Grant> {
  const checked = await checkSigned(entry.payload, entry.signature)
  if (isRejection(checked)) {
    if (checked.reason === 'BAD_SIGNATURE') throw new AccessError('GRANT_FORGED', `This grant is forged or damaged: ${checked.message}. Ignore it.`)
    throw new AccessError('ENTRY_MALFORMED', `This is not a grant Quire can use: ${checked.message}.`)
  }
  if (checked.record.kind !== 'grant') throw new AccessError('ENTRY_MALFORMED', `This is a ${checked.record.kind}, not a grant.`)
  return checked.record
}

/** Verifies one revocation's signature and shape (not its issuer's rights: see `computeMembership`). */
export async function verifyRevocation(entry: EntryBytes): Promise<Revocation> {
  const checked = await checkSigned(entry.payload, entry.signature)
  if (isRejection(checked)) {
    if (checked.reason === 'BAD_SIGNATURE') throw new AccessError('REVOCATION_FORGED', `This revocation is forged or damaged: ${checked.message}. Ignore it.`)
    throw new AccessError('ENTRY_MALFORMED', `This is not a revocation Quire can use: ${checked.message}.`)
  }
  if (checked.record.kind !== 'revocation') throw new AccessError('ENTRY_MALFORMED', `This is a ${checked.record.kind}, not a revocation.`)
  return checked.record
}

export function requireProject(project: string): string {
  if (!isProjectId(project)) throw new AccessError('INVALID_ARGUMENT', `The project id must be 1 to 128 letters, digits, "-" or "_", got "${String(project).slice(0, 80)}".`)
  return project
}

export function requireTime(value: number, what: string): number {
  if (!isTime(value)) throw new AccessError('INVALID_ARGUMENT', `${what} must be a whole number of milliseconds since 1970 (>= 0).`)
  return value
}
