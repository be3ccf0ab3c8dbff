import { describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { appendGrantEntries, createGrants, encodePayload, grantEntryId, type GrantsDoc, type NewGrantEntry } from '@quire/crdt'
import {
  AccessError,
  ROLES,
  canAdmin,
  canCompute,
  canHost,
  canRead,
  canWrite,
  computeMembership,
  peerIdOfKey,
  revokeMember,
  signGrant,
  signRevocation,
  signingBytes,
  type Membership,
  type Role,
} from '../src/index.js'

const PROJECT = 'project-1'
const NOW = 1_800_000_000_000
const keys = await Promise.all(Array.from({ length: 7 }, () => generateKeyPair('Ed25519')))
const [owner, alice, bob, carol, dave, erin, mallory] = keys as [PrivateKey, PrivateKey, PrivateKey, PrivateKey, PrivateKey, PrivateKey, PrivateKey]
const id = peerIdOfKey
const OWNER = id(owner)

function docWith(entries: readonly NewGrantEntry[], init = { project: PROJECT, owner: OWNER }): A.Doc<GrantsDoc> {
  return A.change(createGrants(init), (d) => { appendGrantEntries(d, entries) })
}

function append(doc: A.Doc<GrantsDoc>, entries: readonly NewGrantEntry[]): A.Doc<GrantsDoc> {
  return A.change(A.clone(doc), (d) => { appendGrantEntries(d, entries) })
}

const grant = (issuer: PrivateKey, subject: PrivateKey, role: Role, extra: { expires?: number; project?: string } = {}) =>
  signGrant(issuer, { project: extra.project ?? PROJECT, subject: id(subject), role, issued: NOW - 1000, expires: extra.expires })
const revoke = (issuer: PrivateKey, target: string) => signRevocation(issuer, { project: PROJECT, target, issued: NOW - 500 })

function rolesOf(m: Membership): Record<string, readonly Role[]> {
  return Object.fromEntries([...m.members.values()].map((member) => [member.peerId, member.roles]))
}

function reasonOf(m: Membership, entryId: string): string | undefined {
  return m.rejected.find((r) => r.id === entryId)?.reason
}

describe('membership', () => {
  it('[A4] only grants with a valid signature, the right project and a chain of admin grants from the owner count', async () => {
    const toAlice = await grant(owner, alice, 'admin')
    const toBob = await grant(alice, bob, 'writer')
    const byWriter = await grant(bob, carol, 'reader') // Bob is no admin
    const byStranger = await grant(mallory, dave, 'admin') // Mallory is nobody
    const genuine = await grant(owner, erin, 'reader')
    const forged = { payload: encodePayload({ kind: 'grant', v: 1, project: PROJECT, subject: id(mallory), role: 'admin', issuer: OWNER, issued: NOW }), signature: genuine.signature }
    const forgedEntry = { payload: forged.payload, signature: (await mallory.sign(signingBytes('grant', forged.payload))) }
    const wrongProject = await grant(owner, dave, 'writer', { project: 'project-2' })
    const expired = await grant(owner, carol, 'writer', { expires: NOW - 1 })
    const m = await computeMembership(docWith([toAlice, toBob, byWriter, byStranger, forgedEntry, wrongProject, expired]), { now: NOW })
    expect(rolesOf(m)).toEqual({ [OWNER]: ['admin'], [id(alice)]: ['admin'], [id(bob)]: ['writer'] })
    expect(m.accepted).toEqual([toAlice.id, toBob.id].sort())
    expect(reasonOf(m, byWriter.id)).toBe('ISSUER_NOT_ADMIN')
    expect(reasonOf(m, byStranger.id)).toBe('ISSUER_NOT_ADMIN')
    expect(reasonOf(m, grantEntryId(forgedEntry.signature))).toBe('BAD_SIGNATURE')
    expect(reasonOf(m, wrongProject.id)).toBe('WRONG_PROJECT')
    expect(reasonOf(m, expired.id)).toBe('EXPIRED')
    expect(m.rejected).toHaveLength(5)
    expect(m.members.get(OWNER)).toEqual({ peerId: OWNER, owner: true, roles: ['admin'], grants: [] })
    expect(m.members.get(id(bob))).toEqual({ peerId: id(bob), owner: false, roles: ['writer'], grants: [toBob.id] })
  })

  it('[A5] a pinned owner and project win over the unsigned fields of the document', async () => {
    const byMallory = await grant(mallory, mallory, 'admin')
    const byOwner = await grant(owner, alice, 'writer')
    // Someone with write access to the document rewrote its owner field.
    const hijacked = docWith([byMallory, byOwner], { project: PROJECT, owner: id(mallory) })
    const pinned = await computeMembership(hijacked, { now: NOW, owner: OWNER, project: PROJECT })
    expect(rolesOf(pinned)).toEqual({ [OWNER]: ['admin'], [id(alice)]: ['writer'] })
    expect(reasonOf(pinned, byMallory.id)).toBe('ISSUER_NOT_ADMIN')
    expect(pinned.problems.join(' ')).toMatch(/owner field was ignored/)
    // Without a pin the document's owner is trusted on first use.
    expect((await computeMembership(hijacked, { now: NOW })).owner).toBe(id(mallory))
    const otherProject = await computeMembership(docWith([byOwner]), { now: NOW, project: 'project-2' })
    expect(reasonOf(otherProject, byOwner.id)).toBe('WRONG_PROJECT')
    await expect(computeMembership({ junk: true }, { now: NOW })).rejects.toMatchObject({ code: 'OWNER_UNKNOWN' })
    await expect(computeMembership(docWith([]), { now: NOW, owner: 'not-a-peer' })).rejects.toBeInstanceOf(AccessError)
    // The owner holds no grant, so there is nothing to revoke: the owner stays admin whatever admins sign.
    const toAlice = await grant(owner, alice, 'admin')
    const m = await computeMembership(docWith([toAlice, await revoke(alice, toAlice.id)]), { now: NOW })
    expect(canAdmin(m, OWNER)).toBe(true)
  })

  it('[A6] a grant counts while now < expires; when an admin grant expires, what that admin issued stops counting', async () => {
    const toAlice = await grant(owner, alice, 'admin', { expires: NOW + 1000 })
    const toBob = await grant(alice, bob, 'writer', { expires: NOW + 5000 })
    const doc = docWith([toAlice, toBob])
    expect(rolesOf(await computeMembership(doc, { now: NOW + 999 }))).toEqual({ [OWNER]: ['admin'], [id(alice)]: ['admin'], [id(bob)]: ['writer'] })
    const later = await computeMembership(doc, { now: NOW + 1000 })
    expect(rolesOf(later)).toEqual({ [OWNER]: ['admin'] })
    expect(reasonOf(later, toAlice.id)).toBe('EXPIRED')
    expect(reasonOf(later, toBob.id)).toBe('ISSUER_NOT_ADMIN')
  })

  it('[A7] a revocation counts only when signed by the owner or an admin; revoked admins revoke nothing', async () => {
    const toAlice = await grant(owner, alice, 'admin')
    const toBob = await grant(owner, bob, 'admin')
    const toCarol = await grant(owner, carol, 'writer')
    const toDave = await grant(owner, dave, 'reader')
    const byWriter = await revoke(carol, toDave.id) // a writer cannot change membership
    const byStranger = await revoke(mallory, toCarol.id)
    let m = await computeMembership(docWith([toAlice, toBob, toCarol, toDave, byWriter, byStranger]), { now: NOW })
    expect(canRead(m, id(dave)) && canWrite(m, id(carol))).toBe(true)
    expect([reasonOf(m, byWriter.id), reasonOf(m, byStranger.id)]).toEqual(['ISSUER_NOT_ADMIN', 'ISSUER_NOT_ADMIN'])

    // The owner revokes Bob; Bob's revocation of Alice (signed before or after, no matter) does not count.
    const ownerRevokesBob = await revoke(owner, toBob.id)
    const bobRevokesAlice = await revoke(bob, toAlice.id)
    m = await computeMembership(docWith([toAlice, toBob, ownerRevokesBob, bobRevokesAlice]), { now: NOW })
    expect(rolesOf(m)).toEqual({ [OWNER]: ['admin'], [id(alice)]: ['admin'] })
    expect(reasonOf(m, toBob.id)).toBe('REVOKED')
    expect(reasonOf(m, bobRevokesAlice.id)).toBe('ISSUER_NOT_ADMIN')
    expect(m.revoked).toEqual(new Set([toBob.id]))

    // Two admins revoking each other in the same wave both lose; the owner settles it with a new grant.
    const aliceRevokesBob = await revoke(alice, toBob.id)
    const mutual = docWith([toAlice, toBob, aliceRevokesBob, bobRevokesAlice])
    m = await computeMembership(mutual, { now: NOW })
    expect(rolesOf(m)).toEqual({ [OWNER]: ['admin'] })
    const aliceAgain = await signGrant(owner, { project: PROJECT, subject: id(alice), role: 'admin', issued: NOW })
    m = await computeMembership(append(mutual, [aliceAgain]), { now: NOW })
    expect(rolesOf(m)).toEqual({ [OWNER]: ['admin'], [id(alice)]: ['admin'] })
  })

  it('[A8] revoking an admin removes every grant that depended on that admin, and only those', async () => {
    const toAlice = await grant(owner, alice, 'admin')
    const toBob = await grant(alice, bob, 'writer')
    const toCarol = await grant(alice, carol, 'admin')
    const toDave = await grant(carol, dave, 'reader')
    const toErin = await grant(alice, erin, 'reader')
    const erinDirect = await grant(owner, erin, 'reader')
    const doc = docWith([toAlice, toBob, toCarol, toDave, toErin, erinDirect])
    expect(Object.keys(rolesOf(await computeMembership(doc, { now: NOW })))).toHaveLength(6)
    const m = await computeMembership(append(doc, [await revoke(owner, toAlice.id)]), { now: NOW })
    expect(rolesOf(m)).toEqual({ [OWNER]: ['admin'], [id(erin)]: ['reader'] })
    expect(m.members.get(id(erin))!.grants).toEqual([erinDirect.id])
    expect([toBob, toCarol, toDave, toErin].map((g) => reasonOf(m, g.id))).toEqual(Array(4).fill('ISSUER_NOT_ADMIN'))
    expect(reasonOf(m, toAlice.id)).toBe('REVOKED')
  })

  it('[A9] entries appended concurrently by two admins merge to the same membership in any order', async () => {
    const toAlice = await grant(owner, alice, 'admin')
    const toBob = await grant(owner, bob, 'admin')
    const carolReader = await grant(owner, carol, 'reader')
    const base = docWith([toAlice, toBob, carolReader])
    // Alice upgrades Carol (a new grant) while Bob, concurrently, revokes Carol's old grant and adds Dave.
    const left = append(base, [await grant(alice, carol, 'writer'), await grant(alice, erin, 'compute')])
    const right = append(base, [await revoke(bob, carolReader.id), await grant(bob, dave, 'relay')])
    const one = await computeMembership(A.merge(A.clone(left), right), { now: NOW })
    const two = await computeMembership(A.merge(A.clone(right), left), { now: NOW })
    expect(rolesOf(one)).toEqual(rolesOf(two))
    expect(one.accepted).toEqual(two.accepted)
    expect(one.rejected).toEqual(two.rejected)
    expect(rolesOf(one)).toEqual({
      [OWNER]: ['admin'], [id(alice)]: ['admin'], [id(bob)]: ['admin'], [id(carol)]: ['writer'], [id(dave)]: ['relay'], [id(erin)]: ['compute'],
    })
    // A saved and reloaded copy (another peer's disk) computes the same membership.
    const loaded = A.load<GrantsDoc>(A.save(A.merge(A.clone(left), right)))
    expect(rolesOf(await computeMembership(loaded, { now: NOW }))).toEqual(rolesOf(one))
  })

  it('[A10] a grants document full of junk still yields the owner, and the valid entries in it', async () => {
    const toAlice = await grant(owner, alice, 'writer')
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.anything()), fc.anything(), async (junkEntries, junkRoot) => {
        const doc = { type: 'quire/grants', schemaVersion: 1, project: PROJECT, owner: id(mallory), entries: { ...junkEntries, [toAlice.id]: { payload: toAlice.payload, signature: toAlice.signature } } }
        const m = await computeMembership(doc, { now: NOW, owner: OWNER })
        expect(rolesOf(m)).toEqual({ [OWNER]: ['admin'], [id(alice)]: ['writer'] })
        const fromJunk = await computeMembership(junkRoot, { now: NOW, owner: OWNER, project: PROJECT })
        expect(rolesOf(fromJunk)).toEqual({ [OWNER]: ['admin'] })
      }),
      { seed: 20261123, numRuns: 100 },
    )
    const noisy = A.change(docWith([toAlice]), (d) => {
      const entries = d.entries as Record<string, unknown>
      entries['x'] = 'junk'
      entries[grantEntryId(new Uint8Array(64))] = { payload: new Uint8Array(5), signature: new Uint8Array(64) }
    })
    const m = await computeMembership(noisy, { now: NOW })
    expect(m.rejected.map((r) => r.reason)).toEqual(['MALFORMED', 'MALFORMED'])
    expect(canWrite(m, id(alice))).toBe(true)
  })

  it('[A11] capabilities follow roles, roles accumulate, and non-members can do nothing', async () => {
    const entries = await Promise.all(ROLES.map((role, i) => grant(owner, keys[i + 1]!, role)))
    entries.push(await grant(owner, keys[2]!, 'compute')) // Bob: writer and compute
    const m = await computeMembership(docWith(entries), { now: NOW })
    const table = (peer: string) => [canRead, canWrite, canCompute, canHost, canAdmin].map((can) => can(m, peer))
    expect(table(OWNER)).toEqual([true, true, false, false, true])
    expect(table(id(alice))).toEqual([true, true, false, false, true]) // admin
    expect(table(id(bob))).toEqual([true, true, true, false, false]) // writer + compute
    expect(table(id(carol))).toEqual([true, false, false, false, false]) // reader
    expect(table(id(dave))).toEqual([true, true, true, false, false]) // compute
    expect(table(id(erin))).toEqual([true, false, false, true, false]) // relay
    expect(table(id(mallory))).toEqual([false, false, false, false, false])
    expect(m.members.get(id(bob))!.roles).toEqual(['writer', 'compute'])
  })

  it('[A17] deleting or overwriting entries (unsigned Automerge changes) undoes nothing: every entry ever held counts', async () => {
    const toAlice = await grant(owner, alice, 'writer')
    const toBob = await grant(owner, bob, 'admin')
    const revokeAlice = await revoke(owner, toAlice.id)
    const doc = docWith([toAlice, toBob, revokeAlice])
    // Alice, or anyone who can write the document, deletes the revocation and overwrites Bob's grant.
    const tampered = A.change(A.clone(doc), (d) => {
      delete d.entries[revokeAlice.id]
      d.entries[toBob.id] = { payload: new Uint8Array(3), signature: toBob.signature }
    })
    const m = await computeMembership(tampered, { now: NOW })
    expect(rolesOf(m)).toEqual({ [OWNER]: ['admin'], [id(bob)]: ['admin'] })
    expect(reasonOf(m, toAlice.id)).toBe('REVOKED')
    expect(m.rejected.map((r) => r.id)).toEqual([toAlice.id])
    const reloaded = A.load<GrantsDoc>(A.save(tampered))
    expect(rolesOf(await computeMembership(reloaded, { now: NOW }))).toEqual(rolesOf(m))
  })

  it('[A18] revokeMember revokes every grant that gives a peer rights; the owner cannot be removed', async () => {
    const toAlice = await grant(owner, alice, 'admin')
    const bobWriter = await grant(owner, bob, 'writer')
    const bobCompute = await grant(alice, bob, 'compute')
    const doc = docWith([toAlice, bobWriter, bobCompute])
    const before = await computeMembership(doc, { now: NOW })
    const revocations = await revokeMember(alice, before, id(bob), { issued: NOW })
    expect(revocations.map((r) => r.record.target).sort()).toEqual([bobWriter.id, bobCompute.id].sort())
    const after = await computeMembership(append(doc, revocations), { now: NOW })
    expect(canRead(after, id(bob))).toBe(false)
    expect(await revokeMember(alice, after, id(bob))).toEqual([])
    await expect(revokeMember(alice, before, OWNER)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})
