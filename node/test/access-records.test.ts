import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { decodePayload, encodePayload, grantEntryId, toBase64Url } from '@quire/crdt'
import {
  AccessError,
  createInvite,
  peerIdOfKey,
  signGrant,
  signRevocation,
  signingBytes,
  verifyGrant,
  verifyInvite,
  verifyRevocation,
  type EntryBytes,
} from '../src/index.js'

const PROJECT = 'project-1'
const keys = await Promise.all([0, 1, 2].map(() => generateKeyPair('Ed25519')))
const [owner, alice, bob] = keys as [PrivateKey, PrivateKey, PrivateKey]
const ALICE = peerIdOfKey(alice)
const BOB = peerIdOfKey(bob)

async function codeOf(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn()
  } catch (err) {
    return err instanceof AccessError ? err.code : `not an AccessError: ${String(err)}`
  }
  return undefined
}

/** Signs arbitrary fields the way Quire does, so tests can make records Quire itself would refuse to make. */
async function signRaw(key: PrivateKey, fields: Record<string, string | number>, contextKind = String(fields['kind'])): Promise<EntryBytes> {
  const payload = encodePayload(fields)
  return { payload, signature: await key.sign(signingBytes(contextKind, payload)) }
}

function fieldsOf(entry: EntryBytes): Record<string, string | number> {
  const decoded = decodePayload(entry.payload)
  if (!decoded.ok) throw new Error(decoded.reason)
  return { ...decoded.fields }
}

describe('access records', () => {
  it('[A1] a grant carries project, subject, role, issuer, issued and optional expiry; its id is its signature', async () => {
    const signed = await signGrant(owner, { project: PROJECT, subject: ALICE, role: 'writer', issued: 1000, expires: 5000 })
    expect(signed.record).toEqual({ kind: 'grant', id: signed.id, project: PROJECT, subject: ALICE, role: 'writer', issuer: peerIdOfKey(owner), issued: 1000, expires: 5000 })
    expect(fieldsOf(signed)).toEqual({ kind: 'grant', v: 1, project: PROJECT, subject: ALICE, role: 'writer', issuer: peerIdOfKey(owner), issued: 1000, expires: 5000 })
    expect(signed.id).toBe(grantEntryId(signed.signature))
    expect(await verifyGrant(signed)).toEqual(signed.record)
    const forever = await signGrant(owner, { project: PROJECT, subject: ALICE, role: 'reader', issued: 1000 })
    expect(forever.record.expires).toBeNull()
    // Ed25519 is deterministic: the same grant signed twice is the same entry.
    expect((await signGrant(owner, { project: PROJECT, subject: ALICE, role: 'reader', issued: 1000 })).id).toBe(forever.id)
    const revocation = await signRevocation(owner, { project: PROJECT, target: forever.id, issued: 2000 })
    expect(await verifyRevocation(revocation)).toEqual({ kind: 'revocation', id: revocation.id, project: PROJECT, target: forever.id, issuer: peerIdOfKey(owner), issued: 2000 })
  })

  it('[A1] records with unknown fields, another version, an unknown kind or a missing field are refused', async () => {
    const base = { kind: 'grant', v: 1, project: PROJECT, subject: ALICE, role: 'writer', issuer: ALICE, issued: 1 }
    expect(await verifyGrant(await signRaw(alice, base))).toMatchObject({ role: 'writer' })
    const variants: Record<string, string | number>[] = [
      { ...base, scope: 'notebooks-only' },
      { ...base, v: 2 },
      { ...base, kind: 'grant-v2' },
      { ...base, role: 'superuser' },
      { ...base, subject: 'not-a-peer-id' },
      { ...base, expires: -1 },
      Object.fromEntries(Object.entries(base).filter(([k]) => k !== 'subject')),
    ]
    for (const fields of variants) {
      expect(await codeOf(async () => verifyGrant(await signRaw(alice, fields))), JSON.stringify(fields)).toBe('ENTRY_MALFORMED')
    }
  })

  it('[A2] a changed field, another signer, or a signature made for another kind never verifies', async () => {
    const signed = await signGrant(alice, { project: PROJECT, subject: BOB, role: 'reader', issued: 1 })
    const upgraded = { payload: encodePayload({ ...fieldsOf(signed), role: 'admin' }), signature: signed.signature }
    expect(await codeOf(() => verifyGrant(upgraded))).toBe('GRANT_FORGED')
    // Bob signs a grant that claims Alice as its issuer.
    expect(await codeOf(async () => verifyGrant(await signRaw(bob, fieldsOf(signed))))).toBe('GRANT_FORGED')
    const flipped = new Uint8Array(signed.signature)
    flipped[10]! ^= 1
    expect(await codeOf(() => verifyGrant({ payload: signed.payload, signature: flipped }))).toBe('GRANT_FORGED')
    // The same payload signed under another kind's context: domain separation makes it worthless.
    expect(await codeOf(async () => verifyGrant(await signRaw(alice, fieldsOf(signed), 'revocation')))).toBe('GRANT_FORGED')
    expect(await codeOf(async () => verifyGrant({ payload: signed.payload, signature: await alice.sign(signed.payload) }))).toBe('GRANT_FORGED')
    // A genuine record of another kind is not a grant.
    const revocation = await signRevocation(alice, { project: PROJECT, target: signed.id })
    expect(await codeOf(() => verifyGrant(revocation))).toBe('ENTRY_MALFORMED')
    expect(await codeOf(() => verifyRevocation(signed))).toBe('ENTRY_MALFORMED')
    const forgedRevocation = { payload: encodePayload({ ...fieldsOf(revocation), issued: 99 }), signature: revocation.signature }
    expect(await codeOf(() => verifyRevocation(forgedRevocation))).toBe('REVOCATION_FORGED')
    // An invite's signature cannot pass as a grant's, nor a grant as an invite.
    const { token } = await createInvite(alice, { project: PROJECT, owner: ALICE, role: 'writer', expires: Date.now() + 60_000 })
    expect(await codeOf(() => verifyInvite(`${toBase64Url(signed.payload)}.${toBase64Url(signed.signature)}`))).toBe('INVITE_FORGED')
    expect(token.split('.')).toHaveLength(2)
  })

  it('[A3] signing refuses bad arguments and keys that are not Ed25519', async () => {
    expect(await codeOf(() => signGrant(owner, { project: PROJECT, subject: ALICE, role: 'owner' as 'admin' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => signGrant(owner, { project: 'a/b', subject: ALICE, role: 'reader' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => signGrant(owner, { project: PROJECT, subject: 'bob', role: 'reader' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => signGrant(owner, { project: PROJECT, subject: ALICE, role: 'reader', expires: 1.5 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => signRevocation(owner, { project: PROJECT, target: 'abc' }))).toBe('INVALID_ARGUMENT')
    const secp = await generateKeyPair('secp256k1')
    expect(await codeOf(() => signGrant(secp, { project: PROJECT, subject: ALICE, role: 'reader' }))).toBe('KEY_UNSUPPORTED')
    // A record claiming a secp256k1 issuer is refused even with that key's genuine signature.
    const secpId = peerIdFromPrivateKey(secp).toString()
    const raw = await signRaw(secp, { kind: 'grant', v: 1, project: PROJECT, subject: ALICE, role: 'reader', issuer: secpId, issued: 1 })
    expect(await codeOf(() => verifyGrant(raw))).toBe('ENTRY_MALFORMED')
  })
})
