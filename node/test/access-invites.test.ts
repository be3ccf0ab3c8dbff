import { describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { appendGrantEntries, createGrants, decodePayload, encodePayload, fromBase64Url, toBase64Url, type GrantsDoc, type NewGrantEntry } from '@quire/crdt'
import {
  AccessError,
  acceptRedemption,
  canRead,
  canWrite,
  computeMembership,
  createInvite,
  createRedemptionRequest,
  inviteFromUrl,
  inviteToUrl,
  peerIdOfKey,
  signGrant,
  signRevocation,
  signingBytes,
  verifyInvite,
  verifyRedemptionRequest,
  type InviteInit,
} from '../src/index.js'

const PROJECT = 'project-1'
const NOW = 1_800_000_000_000
const HOUR = 3_600_000
const keys = await Promise.all(Array.from({ length: 7 }, () => generateKeyPair('Ed25519')))
const [owner, admin2, alice, bob, carol, writer, mallory] = keys as [PrivateKey, PrivateKey, PrivateKey, PrivateKey, PrivateKey, PrivateKey, PrivateKey]
const id = peerIdOfKey
const OWNER = id(owner)

async function errorOf(fn: () => Promise<unknown>): Promise<AccessError> {
  try {
    await fn()
  } catch (err) {
    if (err instanceof AccessError) return err
    throw err
  }
  throw new Error('expected an AccessError, but nothing was thrown')
}

async function codeOf(fn: () => Promise<unknown>): Promise<string> {
  return (await errorOf(fn)).code
}

function append(doc: A.Doc<GrantsDoc>, entries: readonly NewGrantEntry[]): A.Doc<GrantsDoc> {
  return A.change(A.clone(doc), (d) => { appendGrantEntries(d, entries) })
}

/** A project where admin2 is an admin and `writer` a writer, both granted by the owner. */
async function project(): Promise<A.Doc<GrantsDoc>> {
  return append(createGrants({ project: PROJECT, owner: OWNER }), [
    await signGrant(owner, { project: PROJECT, subject: id(admin2), role: 'admin', issued: NOW - HOUR }),
    await signGrant(owner, { project: PROJECT, subject: id(writer), role: 'writer', issued: NOW - HOUR }),
  ])
}

function invite(key: PrivateKey, init: Partial<InviteInit> = {}) {
  return createInvite(key, { project: PROJECT, owner: OWNER, role: 'writer', uses: 1, expires: NOW + HOUR, issued: NOW - 1000, ...init })
}

/** The new peer's side, then an admin device's side; returns the document with the entries appended. */
async function redeem(doc: A.Doc<GrantsDoc>, token: string, newPeer: PrivateKey, adminKey: PrivateKey = owner, now = NOW) {
  const request = await createRedemptionRequest(newPeer, token, { issued: now })
  const accepted = await acceptRedemption(doc, { invite: token, request }, { key: adminKey, now, owner: OWNER, project: PROJECT })
  return { doc: append(doc, accepted.entries), accepted, request }
}

/** Re-encodes a token's payload with a field changed, keeping the original signature. */
function tamper(token: string, change: Record<string, string | number>): string {
  const [payload, signature] = token.split('.') as [string, string]
  const decoded = decodePayload(fromBase64Url(payload)!)
  if (!decoded.ok) throw new Error(decoded.reason)
  return `${toBase64Url(encodePayload({ ...decoded.fields, ...change }))}.${signature}`
}

describe('invites', () => {
  it('[A12] an invite is a signed URL-safe token that travels in a link fragment', async () => {
    const { token, invite: made } = await invite(owner, { uses: 3, role: 'reader' })
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/)
    expect(made).toMatchObject({ kind: 'invite', project: PROJECT, owner: OWNER, role: 'reader', uses: 3, expires: NOW + HOUR, issuer: OWNER })
    expect(await verifyInvite(token)).toEqual(made)
    const link = inviteToUrl('https://quire.example/app?x=1', token)
    expect(link).toBe(`https://quire.example/app?x=1#invite=${token}`)
    expect(inviteFromUrl(link)).toBe(token)
    expect(inviteFromUrl('https://quire.example/app')).toBeUndefined()
    expect(inviteFromUrl('not a url')).toBeUndefined()
    // Two invites with the same terms are distinct (random nonce).
    expect((await invite(owner, { uses: 3, role: 'reader' })).invite.id).not.toBe(made.id)
    expect(await codeOf(() => invite(owner, { uses: 0 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => invite(owner, { expires: NOW - 2000 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => invite(owner, { role: 'god' as 'admin' }))).toBe('INVALID_ARGUMENT')
  })

  it('[A36] an invite carries the project name and the inviter\'s display name, signed; a name out of bounds makes it malformed', async () => {
    const { token, invite: made } = await invite(owner, { projectName: '  Paper on sheaves  ', issuerName: 'Ada' })
    expect(made).toMatchObject({ projectName: 'Paper on sheaves', issuerName: 'Ada' })
    expect(await verifyInvite(token)).toEqual(made)
    // Changing a name breaks the signature like any other field.
    expect(await codeOf(() => verifyInvite(tamper(token, { issuerName: 'The Owner' })))).toBe('INVITE_FORGED')
    // Long names are cut when the invite is made; blank ones are left out.
    const long = await invite(owner, { projectName: 'x'.repeat(500), issuerName: '   ' })
    expect(long.invite.projectName).toHaveLength(200)
    expect(long.invite.issuerName).toBeUndefined()
    // A validly signed invite whose name is out of bounds (made by another program) is malformed.
    const [payload] = token.split('.') as [string]
    const decoded = decodePayload(fromBase64Url(payload)!)
    if (!decoded.ok) throw new Error(decoded.reason)
    const bad = encodePayload({ ...decoded.fields, issuerName: 'y'.repeat(61) })
    const signedBad = `${toBase64Url(bad)}.${toBase64Url(await owner.sign(signingBytes('invite', bad)))}`
    expect(await codeOf(() => verifyInvite(signedBad))).toBe('INVITE_MALFORMED')
    // Without names, as before.
    expect((await invite(owner)).invite.projectName).toBeUndefined()
  })

  it('[A13] a damaged, forged or expired invite is refused with its own code', async () => {
    const { token } = await invite(owner)
    expect(await codeOf(() => verifyInvite(token.slice(0, 40)))).toBe('INVITE_MALFORMED')
    expect(await codeOf(() => verifyInvite('garbage'))).toBe('INVITE_MALFORMED')
    expect(await codeOf(() => verifyInvite(`${token}.x`))).toBe('INVITE_MALFORMED')
    expect(await codeOf(() => verifyInvite(tamper(token, { role: 'admin' })))).toBe('INVITE_FORGED')
    expect(await codeOf(() => verifyInvite(tamper(token, { uses: 1000 })))).toBe('INVITE_FORGED')
    // A genuine signature made under another kind's context.
    const payload = fromBase64Url(token.split('.')[0]!)!
    const wrongContext = `${token.split('.')[0]}.${toBase64Url(await owner.sign(signingBytes('grant', payload)))}`
    expect(await codeOf(() => verifyInvite(wrongContext))).toBe('INVITE_FORGED')
    expect(await codeOf(() => verifyInvite(token, { now: NOW + HOUR }))).toBe('INVITE_EXPIRED')
    expect((await verifyInvite(token, { now: NOW + HOUR - 1 })).role).toBe('writer')
    const err = await errorOf(() => verifyInvite(token, { now: NOW + HOUR }))
    expect(err.message).toMatch(/expired at .* ask a project admin for a new one/)
  })

  it('[A14] a redemption request is signed by the new peer and cannot be altered or reused for another invite', async () => {
    const { token, invite: made } = await invite(owner)
    const request = await createRedemptionRequest(alice, token, { issued: NOW })
    const verified = await verifyRedemptionRequest(request)
    expect(verified.record).toMatchObject({ kind: 'redeem-request', project: PROJECT, invite: made.id, issuer: id(alice) })
    // Mallory rewrites Alice's request to claim the grant for herself.
    expect(await codeOf(() => verifyRedemptionRequest(tamper(request, { issuer: id(mallory) })))).toBe('REDEMPTION_FORGED')
    expect(await codeOf(() => verifyRedemptionRequest(token))).toBe('REDEMPTION_FORGED')
    expect(await codeOf(() => verifyRedemptionRequest('x.y'))).toBe('REDEMPTION_FORGED')
    expect(await codeOf(() => createRedemptionRequest(alice, tamper(token, { role: 'admin' })))).toBe('INVITE_FORGED')
  })

  it('[A15] an admin device turns a valid redemption into a grant plus a redemption record', async () => {
    const { token } = await invite(owner, { role: 'writer' })
    const { doc, accepted } = await redeem(await project(), token, alice)
    expect(accepted.grant.record).toMatchObject({ subject: id(alice), role: 'writer', issuer: OWNER, expires: null })
    expect(accepted.redemption.record).toMatchObject({ kind: 'redemption', invite: accepted.invite.id, subject: id(alice), grant: accepted.grant.id })
    const m = await computeMembership(doc, { now: NOW, owner: OWNER })
    expect(canWrite(m, id(alice))).toBe(true)
    expect(m.redemptions.get(accepted.invite.id)).toEqual(new Map([[id(alice), accepted.redemption.id]]))
    expect(m.accepted).toContain(accepted.redemption.id)
  })

  it('[A15] a replayed redemption and a used-up invite are refused', async () => {
    const { token } = await invite(owner, { uses: 2 })
    const first = await redeem(await project(), token, alice)
    // The same request again (a replay by anyone who saw it): refused, and no use is spent.
    await expect(acceptRedemption(first.doc, { invite: token, request: first.request }, { key: owner, now: NOW })).rejects.toMatchObject({ code: 'INVITE_ALREADY_REDEEMED' })
    // Another admin device counts uses from the document.
    const second = await redeem(first.doc, token, bob, admin2)
    expect(canWrite(await computeMembership(second.doc, { now: NOW }), id(bob))).toBe(true)
    const err = await errorOf(() => redeem(second.doc, token, carol))
    expect(err.code).toBe('INVITE_USED_UP')
    expect(err.message).toMatch(/all have joined: ask a project admin for a new invite/)
  })

  it('[A15] expired, revoked, foreign and orphaned invites, and non-admin devices, are refused', async () => {
    const doc = await project()
    const { token } = await invite(owner)
    expect(await codeOf(() => redeem(doc, token, alice, owner, NOW + HOUR))).toBe('INVITE_EXPIRED')
    expect(await codeOf(() => redeem(doc, token, alice, writer))).toBe('NOT_ADMIN')
    expect(await codeOf(() => redeem(doc, token, alice, mallory))).toBe('NOT_ADMIN')
    const foreign = await invite(owner, { project: 'project-2' })
    expect(await codeOf(() => redeem(doc, foreign.token, alice))).toBe('INVITE_WRONG_PROJECT')
    const revoked = append(doc, [await signRevocation(admin2, { project: PROJECT, target: (await verifyInvite(token)).id, issued: NOW })])
    expect(await codeOf(() => redeem(revoked, token, alice))).toBe('INVITE_REVOKED')
    // An invite made by a writer, or by an admin who has since lost admin rights, is void.
    expect(await codeOf(async () => redeem(doc, (await invite(writer)).token, alice))).toBe('INVITE_REVOKED')
    const byAdmin2 = await invite(admin2)
    const admin2Grant = (await computeMembership(doc, { now: NOW })).members.get(id(admin2))!.grants[0]!
    const demoted = append(doc, [await signRevocation(owner, { project: PROJECT, target: admin2Grant, issued: NOW })])
    expect(await codeOf(() => redeem(demoted, byAdmin2.token, alice))).toBe('INVITE_REVOKED')
    // A request made for one invite cannot redeem another.
    const other = await invite(owner)
    const request = await createRedemptionRequest(alice, token)
    expect(await codeOf(() => acceptRedemption(doc, { invite: other.token, request }, { key: owner, now: NOW }))).toBe('REDEMPTION_FORGED')
    expect(await codeOf(() => acceptRedemption(doc, { invite: tamper(token, { uses: 9 }), request }, { key: owner, now: NOW }))).toBe('INVITE_FORGED')
  })

  it('[A16] two admin devices that accept concurrently without syncing can exceed uses; both grants then count', async () => {
    const base = await project()
    const { token } = await invite(owner, { uses: 1 })
    const left = await redeem(base, token, alice, owner)
    const right = await redeem(base, token, bob, admin2)
    const merged = A.merge(A.clone(left.doc), right.doc)
    const m = await computeMembership(merged, { now: NOW })
    expect([canRead(m, id(alice)), canRead(m, id(bob))]).toEqual([true, true])
    expect(m.redemptions.get(left.accepted.invite.id)!.size).toBe(2)
    expect(await codeOf(() => redeem(merged, token, carol))).toBe('INVITE_USED_UP')
  })
})
