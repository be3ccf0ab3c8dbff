/**
 * The signed record kinds and their fields (version 1). A record is a canonical payload (see
 * `encodePayload` in @quire/crdt) signed by its `issuer`. Parsing is strict: a missing, mistyped or unknown
 * field makes the record unusable, because an old peer that skipped a field a newer version added (a scope,
 * a condition) could read more rights into a grant than its issuer gave.
 */
import { fromBase64Url, type PayloadFields } from '@quire/crdt'
import { isEd25519PeerId } from './keys.js'
import { isRole, type Role } from './roles.js'

export const RECORD_VERSION = 1

/** Fields every record has. */
interface RecordBase {
  /** Entry id: base64url of the signature. */
  readonly id: string
  readonly project: string
  /** Peer id of the signer. */
  readonly issuer: string
  /** When the issuer signed it (ms since 1970, the issuer's clock; informational). */
  readonly issued: number
}

/** A grant of `role` in `project` to `subject`, by `issuer`. */
export interface Grant extends RecordBase {
  readonly kind: 'grant'
  readonly subject: string
  readonly role: Role
  /** Ms since 1970 from which the grant no longer counts, or null for never. */
  readonly expires: number | null
}

/** The withdrawal of an earlier grant or invite, named by its entry id. */
export interface Revocation extends RecordBase {
  readonly kind: 'revocation'
  readonly target: string
}

/** A signed, expiring invitation: whoever holds it may ask an admin for `role`, `uses` times in all. */
export interface Invite extends RecordBase {
  readonly kind: 'invite'
  /** Peer id of the project's owner, so a new peer knows whose project it joins. */
  readonly owner: string
  readonly role: Role
  readonly uses: number
  readonly expires: number
  /** Random, so two invites with the same terms are distinct. */
  readonly nonce: string
  /** The project's name and the issuer's display name as the issuer gave them (A36): shown, never trusted. */
  readonly projectName?: string
  readonly issuerName?: string
}

/** A new peer's signed request to redeem an invite; `issuer` is the new peer. */
export interface RedemptionRequest extends RecordBase {
  readonly kind: 'redeem-request'
  /** Entry id of the invite. */
  readonly invite: string
}

/** An admin's record that `subject` redeemed `invite` and got `grant`, for counting uses. */
export interface Redemption extends RecordBase {
  readonly kind: 'redemption'
  readonly invite: string
  readonly subject: string
  /** Entry id of the grant issued. */
  readonly grant: string
  /** Entry id of the request that was redeemed. */
  readonly request: string
}

export type AccessRecord = Grant | Revocation | Invite | RedemptionRequest | Redemption
export type RecordKind = AccessRecord['kind']

/** Why a payload is not a usable record. */
export type ParseFailure = { readonly reason: 'MALFORMED' | 'UNSUPPORTED'; readonly message: string }

const FIELDS: Readonly<Record<RecordKind, readonly string[]>> = {
  grant: ['subject', 'role', 'expires'],
  revocation: ['target'],
  invite: ['owner', 'role', 'uses', 'expires', 'nonce', 'projectName', 'issuerName'],
  'redeem-request': ['invite'],
  redemption: ['invite', 'subject', 'grant', 'request'],
}
const COMMON = ['kind', 'v', 'project', 'issuer', 'issued']
const OPTIONAL = new Set(['grant.expires', 'invite.projectName', 'invite.issuerName'])
/** Longest project name and display name an invite may carry (A36). */
export const MAX_INVITE_PROJECT_NAME = 200
export const MAX_INVITE_ISSUER_NAME = 60
const PROJECT_ID = /^[A-Za-z0-9_-]{1,128}$/
const NONCE = /^[A-Za-z0-9_-]{16,64}$/

export function isRecordKind(value: unknown): value is RecordKind {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(FIELDS, value)
}

export function isProjectId(value: unknown): value is string {
  return typeof value === 'string' && PROJECT_ID.test(value)
}

/** An entry id: base64url (no padding) of a 64-byte signature. */
export function isEntryId(value: unknown): value is string {
  return typeof value === 'string' && value.length === 86 && fromBase64Url(value)?.length === 64
}

export function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/** Reads decoded payload fields as a typed record; `id` is the entry id (the signature's base64url). */
export function parseRecord(id: string, fields: PayloadFields): AccessRecord | ParseFailure {
  const kind = fields['kind']
  if (!isRecordKind(kind)) return { reason: 'UNSUPPORTED', message: `kind "${String(kind).slice(0, 40)}" is not one this version of Quire knows` }
  if (fields['v'] !== RECORD_VERSION) return { reason: 'UNSUPPORTED', message: `version ${String(fields['v']).slice(0, 20)} of ${kind} records is not one this version of Quire knows` }
  const allowed = new Set([...COMMON, ...FIELDS[kind]])
  for (const name of Object.keys(fields)) {
    if (!allowed.has(name)) return { reason: 'UNSUPPORTED', message: `field "${name}" is not part of a version ${RECORD_VERSION} ${kind}` }
  }
  for (const name of allowed) {
    if (fields[name] === undefined && !OPTIONAL.has(`${kind}.${name}`)) return malformed(`${kind} has no "${name}"`)
  }
  const f = fields as Record<string, string | number | undefined>
  if (!isProjectId(f['project'])) return malformed('"project" is not a project id')
  if (!isEd25519PeerId(f['issuer'])) return malformed('"issuer" is not an Ed25519 peer id')
  if (!isTime(f['issued'])) return malformed('"issued" is not a time')
  const base = { id, project: f['project'], issuer: f['issuer'], issued: f['issued'] }
  switch (kind) {
    case 'grant': {
      if (!isEd25519PeerId(f['subject'])) return malformed('"subject" is not an Ed25519 peer id')
      if (!isRole(f['role'])) return malformed('"role" is not a role')
      if (f['expires'] !== undefined && !isTime(f['expires'])) return malformed('"expires" is not a time')
      return { kind, ...base, subject: f['subject'], role: f['role'], expires: (f['expires'] as number | undefined) ?? null }
    }
    case 'revocation':
      if (!isEntryId(f['target'])) return malformed('"target" is not an entry id')
      return { kind, ...base, target: f['target'] }
    case 'invite': {
      if (!isEd25519PeerId(f['owner'])) return malformed('"owner" is not an Ed25519 peer id')
      if (!isRole(f['role'])) return malformed('"role" is not a role')
      const uses = f['uses']
      if (typeof uses !== 'number' || !Number.isSafeInteger(uses) || uses < 1) return malformed('"uses" is not a whole number >= 1')
      if (!isTime(f['expires'])) return malformed('"expires" is not a time')
      if (typeof f['nonce'] !== 'string' || !NONCE.test(f['nonce'])) return malformed('"nonce" is not 16 to 64 base64url characters')
      const names: { projectName?: string; issuerName?: string } = {}
      for (const [field, max] of [['projectName', MAX_INVITE_PROJECT_NAME], ['issuerName', MAX_INVITE_ISSUER_NAME]] as const) {
        const value = f[field]
        if (value === undefined) continue
        if (typeof value !== 'string' || value.length === 0 || value.length > max) return malformed(`"${field}" is not a name of 1 to ${max} characters`)
        names[field] = value
      }
      return { kind, ...base, owner: f['owner'], role: f['role'], uses, expires: f['expires'], nonce: f['nonce'], ...names }
    }
    case 'redeem-request':
      if (!isEntryId(f['invite'])) return malformed('"invite" is not an entry id')
      return { kind, ...base, invite: f['invite'] }
    case 'redemption':
      if (!isEntryId(f['invite']) || !isEntryId(f['grant']) || !isEntryId(f['request'])) return malformed('"invite", "grant" or "request" is not an entry id')
      if (!isEd25519PeerId(f['subject'])) return malformed('"subject" is not an Ed25519 peer id')
      return { kind, ...base, invite: f['invite'], subject: f['subject'], grant: f['grant'], request: f['request'] }
  }
}

export function isParseFailure(value: AccessRecord | ParseFailure): value is ParseFailure {
  return 'reason' in value
}

function malformed(message: string): ParseFailure {
  return { reason: 'MALFORMED', message }
}
