/**
 * The admin side of invite redemption: any online device of an admin (or the owner) checks a new peer's
 * request against the invite and the grants document, then signs the grant and a redemption record, to be
 * appended together with `appendGrantEntries`. Uses are counted from the redemption records already in the
 * document, per distinct redeeming peer, so replaying a request can neither use up an invite nor get a
 * second grant.
 */
import type { NewGrantEntry } from '@quire/crdt'
import type { PrivateKey } from '@libp2p/interface'
import { AccessError } from './errors.js'
import { signGrant } from './grant-records.js'
import { inviteExpired, verifyInvite, verifyRedemptionRequest } from './invites.js'
import { peerIdOfKey } from './keys.js'
import { canAdmin } from './capabilities.js'
import { computeMembership, type Membership } from './membership.js'
import type { Grant, Invite, Redemption } from './records.js'
import { signRecord, type SignedRecord } from './signing.js'

/** What the new peer sends: the invite token and its signed redemption request token. */
export interface RedemptionTokens {
  readonly invite: string
  readonly request: string
}

/** Options of {@link acceptRedemption}. */
export interface AcceptRedemptionOptions {
  /** The admin's (or owner's) key. */
  readonly key: PrivateKey
  /** The admin device's clock (ms since 1970). */
  readonly now: number
  /** Pinned owner and project, as for `computeMembership`. */
  readonly owner?: string
  readonly project?: string
}

/** What an accepted redemption produced: append `entries` to the grants document in one change. */
export interface AcceptedRedemption {
  readonly invite: Invite
  readonly grant: SignedRecord<Grant>
  readonly redemption: SignedRecord<Redemption>
  readonly entries: readonly NewGrantEntry[]
}

/**
 * Checks a redemption and signs its grant. Refusals: `INVITE_MALFORMED`, `INVITE_FORGED`,
 * `INVITE_WRONG_PROJECT`, `INVITE_REVOKED`, `INVITE_EXPIRED`, `REDEMPTION_FORGED`,
 * `INVITE_ALREADY_REDEEMED`, `INVITE_USED_UP`, `NOT_ADMIN`.
 */
export async function acceptRedemption(grantsDoc: unknown, tokens: RedemptionTokens, options: AcceptRedemptionOptions): Promise<AcceptedRedemption> {
  const membership = await computeMembership(grantsDoc, options)
  const admin = peerIdOfKey(options.key)
  if (!canAdmin(membership, admin)) {
    throw new AccessError('NOT_ADMIN', `${admin} has no admin rights in project ${membership.project}, so it cannot accept invites: an admin's device must.`)
  }
  const invite = await verifyInvite(tokens.invite)
  checkInvite(invite, membership, options.now)
  const request = await verifyRedemptionRequest(tokens.request)
  if (request.record.invite !== invite.id || request.record.project !== invite.project) {
    throw new AccessError('REDEMPTION_FORGED', 'This redemption request was made for another invite: ask the new member to open the invite link again.')
  }
  const peer = request.record.issuer
  const redeemedBy = membership.redemptions.get(invite.id) ?? new Map<string, string>()
  if (redeemedBy.has(peer)) {
    throw new AccessError('INVITE_ALREADY_REDEEMED', `${peer} already redeemed this invite (redemption ${redeemedBy.get(peer)}); its grant is in the project.`)
  }
  if (redeemedBy.size >= invite.uses) {
    throw new AccessError('INVITE_USED_UP', `This invite was for ${invite.uses} ${invite.uses === 1 ? 'peer' : 'peers'} and all have joined: ask a project admin for a new invite.`)
  }
  const grant = await signGrant(options.key, { project: invite.project, subject: peer, role: invite.role, issued: options.now })
  const redemption = await signRecord(options.key, 'redemption', {
    project: invite.project, invite: invite.id, subject: peer, grant: grant.id, request: request.id, issued: options.now,
  })
  return {
    invite, grant, redemption,
    entries: [{ payload: grant.payload, signature: grant.signature }, { payload: redemption.payload, signature: redemption.signature }],
  }
}

function checkInvite(invite: Invite, membership: Membership, now: number): void {
  if (invite.project !== membership.project) {
    throw new AccessError('INVITE_WRONG_PROJECT', `This invite is for project ${invite.project}, not ${membership.project}: open it in the right project.`)
  }
  if (membership.revoked.has(invite.id)) throw new AccessError('INVITE_REVOKED', 'An admin revoked this invite: ask a project admin for a new one.')
  if (!canAdmin(membership, invite.issuer)) {
    throw new AccessError('INVITE_REVOKED', `This invite's issuer ${invite.issuer} no longer has admin rights, so the invite is void: ask a project admin for a new one.`)
  }
  if (now >= invite.expires) throw inviteExpired(invite)
}
