/**
 * Invites: a signed, expiring offer of a role that a new peer redeems for a grant. The invite travels as a
 * URL-safe token (`<payload>.<signature>`, both base64url), usually in a link's fragment (`#invite=...`),
 * which browsers never send to a server. The new peer answers with a redemption request: the invite's id
 * and its own peer id, signed by its own key, so the grant can only ever go to the peer holding that key.
 */
import { fromBase64Url, toBase64Url } from '@quire/crdt'
import { randomBytes } from '@libp2p/crypto'
import type { PrivateKey } from '@libp2p/interface'
import { AccessError } from './errors.js'
import { requireProject, requireTime } from './grant-records.js'
import { isEd25519PeerId } from './keys.js'
import { MAX_INVITE_ISSUER_NAME, MAX_INVITE_PROJECT_NAME, type Invite, type RedemptionRequest } from './records.js'
import { isRole, type Role } from './roles.js'
import { checkSigned, isRejection, signRecord, type SignedRecord } from './signing.js'

/** The fragment parameter that carries an invite token in a link. */
export const INVITE_FRAGMENT_PARAM = 'invite'

/** What `createInvite` needs. */
export interface InviteInit {
  readonly project: string
  /** Peer id of the project's owner (the new peer pins it). */
  readonly owner: string
  readonly role: Role
  /** How many peers may redeem it (default 1). */
  readonly uses?: number
  /** When it stops being redeemable (ms since 1970). */
  readonly expires: number
  readonly issued?: number
  /** The project's name and the inviter's display name, for the join page (A36); cut to their limits. */
  readonly projectName?: string
  readonly issuerName?: string
}

/** A signed invite and its token. */
export interface CreatedInvite {
  readonly token: string
  readonly invite: Invite
}

/** Options of `verifyInvite`. */
export interface VerifyInviteOptions {
  /** When given, an invite expired at this time is refused with `INVITE_EXPIRED`. */
  readonly now?: number
}

/** Signs an invite with an admin's key and returns its token. */
export async function createInvite(key: PrivateKey, init: InviteInit): Promise<CreatedInvite> {
  requireProject(init.project)
  if (!isEd25519PeerId(init.owner)) throw new AccessError('INVALID_ARGUMENT', 'The owner must be an Ed25519 peer id string.')
  if (!isRole(init.role)) throw new AccessError('INVALID_ARGUMENT', `Unknown role "${String(init.role).slice(0, 40)}": use admin, writer, reader, compute or relay.`)
  const uses = init.uses ?? 1
  if (!Number.isSafeInteger(uses) || uses < 1) throw new AccessError('INVALID_ARGUMENT', 'uses must be a whole number >= 1.')
  const issued = requireTime(init.issued ?? Date.now(), 'issued')
  const expires = requireTime(init.expires, 'expires')
  if (expires <= issued) throw new AccessError('INVALID_ARGUMENT', 'expires must be later than issued: an invite that is expired when made is useless.')
  const names: Record<string, string> = {}
  for (const [field, max] of [['projectName', MAX_INVITE_PROJECT_NAME], ['issuerName', MAX_INVITE_ISSUER_NAME]] as const) {
    const value = init[field]
    if (value === undefined) continue
    if (typeof value !== 'string') throw new AccessError('INVALID_ARGUMENT', `${field} must be a string.`)
    const trimmed = value.trim().slice(0, max)
    if (trimmed !== '') names[field] = trimmed
  }
  const signed = await signRecord(key, 'invite', {
    project: init.project, owner: init.owner, role: init.role, uses, expires, issued, nonce: toBase64Url(randomBytes(16)), ...names,
  })
  return { token: toToken(signed), invite: signed.record }
}

/** Decodes an invite token and checks its signature (and its expiry when `now` is given). */
export async function verifyInvite(token: string, options: VerifyInviteOptions = {}): Promise<Invite> {
  const signed = await verifyToken(token, 'invite', 'INVITE_MALFORMED', 'INVITE_FORGED', 'This invite link is damaged or incomplete: ask for a new link.')
  const invite = signed.record as Invite
  if (options.now !== undefined && options.now >= invite.expires) throw inviteExpired(invite)
  return invite
}

/** The new peer's side: signs a request to redeem `inviteToken` for its own peer id. */
export async function createRedemptionRequest(key: PrivateKey, inviteToken: string, options: { issued?: number } = {}): Promise<string> {
  const invite = await verifyInvite(inviteToken)
  const issued = requireTime(options.issued ?? Date.now(), 'issued')
  return toToken(await signRecord(key, 'redeem-request', { project: invite.project, invite: invite.id, issued }))
}

/** Decodes a redemption request token and checks that the requesting peer signed it. */
export async function verifyRedemptionRequest(token: string): Promise<SignedRecord<RedemptionRequest>> {
  const bad = 'This redemption request is damaged: ask the new member to open the invite link again.'
  return (await verifyToken(token, 'redeem-request', 'REDEMPTION_FORGED', 'REDEMPTION_FORGED', bad)) as SignedRecord<RedemptionRequest>
}

/** A link carrying the invite in its fragment: `https://app.example/#invite=<token>`. */
export function inviteToUrl(baseUrl: string, token: string): string {
  const url = new URL(baseUrl)
  url.hash = `${INVITE_FRAGMENT_PARAM}=${token}`
  return url.toString()
}

/** The invite token in a link's fragment, or `undefined` when the link carries none. */
export function inviteFromUrl(link: string): string | undefined {
  let hash: string
  try {
    hash = new URL(link).hash
  } catch {
    return undefined
  }
  const token = new URLSearchParams(hash.replace(/^#/, '')).get(INVITE_FRAGMENT_PARAM)
  return token === null || token === '' ? undefined : token
}

export function inviteExpired(invite: Invite): AccessError {
  return new AccessError('INVITE_EXPIRED', `This invite expired at ${new Date(invite.expires).toISOString()}: ask a project admin for a new one.`)
}

/** A signed record as a URL-safe token. */
export function toToken(signed: { payload: Uint8Array; signature: Uint8Array }): string {
  return `${toBase64Url(signed.payload)}.${toBase64Url(signed.signature)}`
}

async function verifyToken(
  token: string, kind: 'invite' | 'redeem-request', malformedCode: 'INVITE_MALFORMED' | 'REDEMPTION_FORGED',
  forgedCode: 'INVITE_FORGED' | 'REDEMPTION_FORGED', damaged: string,
): Promise<SignedRecord> {
  const parts = typeof token === 'string' && token.length <= 16_384 ? token.split('.') : []
  const payload = parts.length === 2 ? fromBase64Url(parts[0]!) : undefined
  const signature = parts.length === 2 ? fromBase64Url(parts[1]!) : undefined
  if (payload === undefined || signature === undefined) throw new AccessError(malformedCode, damaged)
  const checked = await checkSigned(payload, signature)
  if (isRejection(checked)) {
    if (checked.reason === 'BAD_SIGNATURE') throw new AccessError(forgedCode, `This ${label(kind)} is forged or altered (${checked.message}): do not use it, ask a project admin for a new one.`)
    throw new AccessError(malformedCode, `${damaged} (${checked.message})`)
  }
  if (checked.record.kind !== kind) throw new AccessError(forgedCode, `This token is a ${checked.record.kind}, not ${label(kind)}: it cannot be used as one.`)
  return checked
}

function label(kind: 'invite' | 'redeem-request'): string {
  return kind === 'invite' ? 'invite' : 'redemption request'
}
