/**
 * Who is a member of a project, with which roles, computed from the grants document alone. Only signatures
 * are trusted: Automerge changes are not signed, so anything a peer wrote into the document without a valid
 * signature of someone with admin rights counts for nothing. The result depends only on the set of entries
 * (never on their order or on which peer merged what), so every peer with the same entries and the same
 * `now` computes the same membership. Rules: node/PROTOCOL.md, A rules.
 */
import { readGrants, readGrantsHistory, type SignedEntry } from '@quire/crdt'
import { AccessError } from './errors.js'
import { isEd25519PeerId } from './keys.js'
import { isProjectId, type Grant, type Redemption, type Revocation } from './records.js'
import { ROLES, type Role } from './roles.js'
import { checkSigned, isRejection } from './signing.js'

/** Options of {@link computeMembership}. */
export interface MembershipOptions {
  /** The time to judge expiry by (ms since 1970): the caller's clock, passed in so results are reproducible. */
  readonly now: number
  /**
   * The owner's peer id as this peer knows it (it created the project, or read it from a signed invite).
   * The document's own `owner` field is unsigned, so a pinned owner always wins over it.
   */
  readonly owner?: string
  /** The project id as this peer knows it (from the project's URL); wins over the document's field. */
  readonly project?: string
}

/** Why an entry does not count. */
export type RejectionReason =
  | 'MALFORMED' | 'UNSUPPORTED' | 'BAD_SIGNATURE' | 'WRONG_PROJECT' | 'ISSUER_NOT_ADMIN' | 'EXPIRED' | 'REVOKED'

/** An entry that does not count, and why. */
export interface RejectedEntry {
  readonly id: string
  /** The entry's kind when it could be read. */
  readonly kind: string | null
  readonly reason: RejectionReason
  readonly message: string
}

/** A peer's effective standing in the project. */
export interface Member {
  readonly peerId: string
  /** True for the project's owner, an admin that no revocation can remove. */
  readonly owner: boolean
  /** Every role the peer holds through an effective grant (the owner always has `admin`), in `ROLES` order. */
  readonly roles: readonly Role[]
  /** Entry ids of the effective grants behind `roles`. */
  readonly grants: readonly string[]
}

/** The outcome of {@link computeMembership}. */
export interface Membership {
  readonly project: string
  readonly owner: string
  readonly now: number
  /** Members by peer id (the owner included). A peer not here has no rights at all. */
  readonly members: ReadonlyMap<string, Member>
  /** Ids of the entries that count (effective grants, revocations and redemptions). */
  readonly accepted: readonly string[]
  /** Every entry that does not count, with the reason. */
  readonly rejected: readonly RejectedEntry[]
  /** Entry ids (grants, invites) withdrawn by an effective revocation. */
  readonly revoked: ReadonlySet<string>
  /** Effective redemptions: invite id to (redeeming peer id to redemption entry id). */
  readonly redemptions: ReadonlyMap<string, ReadonlyMap<string, string>>
  /** Things wrong with the document itself (unreadable, an owner other than the pinned one, ...). */
  readonly problems: readonly string[]
}

/**
 * Computes membership from a grants document (any value: junk yields the owner alone). Throws only
 * `OWNER_UNKNOWN`, when neither `options` nor the document names a usable owner and project, and
 * `INVALID_ARGUMENT` for a `now` that is not a number.
 */
export async function computeMembership(grantsDoc: unknown, options: MembershipOptions): Promise<Membership> {
  const { now } = options
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new AccessError('INVALID_ARGUMENT', 'now must be a time in ms since 1970.')
  const read = readGrants(grantsDoc)
  const problems: string[] = []
  if (!read.ok) problems.push(`The grants document is unreadable (${read.error.message}); only the owner has rights.`)
  const doc = read.ok ? read.value : undefined
  const owner = options.owner ?? doc?.owner ?? undefined
  const project = options.project ?? doc?.project ?? undefined
  if (!isEd25519PeerId(owner)) throw new AccessError('OWNER_UNKNOWN', 'The project owner is unknown (or not an Ed25519 peer id): pass options.owner, e.g. from the project or the invite.')
  if (!isProjectId(project)) throw new AccessError('OWNER_UNKNOWN', 'The project id is unknown: pass options.project (the project document id).')
  if (doc?.owner != null && doc.owner !== owner) problems.push(`The document names ${doc.owner} as owner, not ${owner}: its owner field was ignored.`)
  if (doc?.project != null && doc.project !== project) problems.push(`The document is about project ${doc.project}, not ${project}: its entries for other projects do not count.`)

  const grants: Grant[] = []
  const revocations: Revocation[] = []
  const redemptions: Redemption[] = []
  const entries = entriesOf(grantsDoc, doc?.entries ?? [])
  // An entry overwritten with junk is still its history's well-formed entry, not a broken one.
  const wellFormed = new Set(entries.map((e) => e.id))
  const rejected: RejectedEntry[] = (doc?.brokenEntries ?? []).filter((b) => !wellFormed.has(b.id))
    .map((b) => ({ id: b.id, kind: null, reason: 'MALFORMED' as const, message: b.reason }))
  const checked = await Promise.all(entries.map(async (entry) => ({ entry, result: await checkSigned(entry.payload, entry.signature, entry.fields) })))
  for (const { entry, result } of checked) {
    const reject = (reason: RejectionReason, message: string): void => { rejected.push({ id: entry.id, kind: entry.kind, reason, message }) }
    if (isRejection(result)) { reject(result.reason, result.message); continue }
    const record = result.record
    if (record.project !== project) { reject('WRONG_PROJECT', `signed for project ${record.project}, not ${project}`); continue }
    if (record.kind === 'grant') {
      if (record.expires !== null && now >= record.expires) reject('EXPIRED', `expired at ${new Date(record.expires).toISOString()}`)
      else grants.push(record)
    } else if (record.kind === 'revocation') revocations.push(record)
    else if (record.kind === 'redemption') redemptions.push(record)
    else reject('UNSUPPORTED', `a ${record.kind} is not stored in the grants document`)
  }

  // Revocations take effect in waves: first the owner's; then, repeatedly, those of every peer that is
  // still an admin once the revocations so far are applied. An admin revoked in an earlier wave can revoke
  // nothing; two admins revoking each other in the same wave both lose their grants (the owner decides).
  const effective = new Set(revocations.filter((r) => r.issuer === owner))
  let chain = grantChain(owner, grants, targetsOf(effective))
  for (;;) {
    const wave = revocations.filter((r) => !effective.has(r) && chain.admins.has(r.issuer))
    if (wave.length === 0) break
    for (const r of wave) effective.add(r)
    chain = grantChain(owner, grants, targetsOf(effective))
  }
  const revoked = targetsOf(effective)

  const accepted: string[] = []
  for (const g of grants) {
    if (chain.accepted.has(g)) accepted.push(g.id)
    else if (revoked.has(g.id)) rejected.push({ id: g.id, kind: g.kind, reason: 'REVOKED', message: 'revoked by an admin' })
    else rejected.push({ id: g.id, kind: g.kind, reason: 'ISSUER_NOT_ADMIN', message: `${g.issuer} has no admin rights through a chain of grants from the owner` })
  }
  for (const r of revocations) {
    if (effective.has(r)) accepted.push(r.id)
    else rejected.push({ id: r.id, kind: r.kind, reason: 'ISSUER_NOT_ADMIN', message: `${r.issuer} has no admin rights, so cannot revoke` })
  }
  const redeemed = new Map<string, Map<string, string>>()
  for (const r of redemptions) {
    if (!chain.admins.has(r.issuer)) {
      rejected.push({ id: r.id, kind: r.kind, reason: 'ISSUER_NOT_ADMIN', message: `${r.issuer} has no admin rights, so cannot record a redemption` })
      continue
    }
    accepted.push(r.id)
    const byPeer = redeemed.get(r.invite) ?? new Map<string, string>()
    if (!byPeer.has(r.subject) || r.id < byPeer.get(r.subject)!) byPeer.set(r.subject, r.id)
    redeemed.set(r.invite, byPeer)
  }
  rejected.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return { project, owner, now, members: membersOf(owner, chain.accepted), accepted: accepted.sort(), rejected, revoked, redemptions: redeemed, problems }
}

/**
 * The entries in the document now and every entry it ever held (its Automerge history), once each: a
 * deletion or overwrite by someone who could write the document must not undo a signed entry.
 */
function entriesOf(grantsDoc: unknown, current: readonly SignedEntry[]): SignedEntry[] {
  const all = new Map<string, SignedEntry>()
  for (const entry of [...current, ...readGrantsHistory(grantsDoc)]) all.set(`${entry.id}/${entry.payload.join(',')}`, entry)
  return [...all.values()]
}

/** The grants reachable from the owner through admins, skipping revoked ones. */
function grantChain(owner: string, grants: readonly Grant[], revoked: ReadonlySet<string>): { admins: Set<string>; accepted: Set<Grant> } {
  const byIssuer = new Map<string, Grant[]>()
  for (const g of grants) {
    if (revoked.has(g.id)) continue
    const list = byIssuer.get(g.issuer) ?? []
    list.push(g)
    byIssuer.set(g.issuer, list)
  }
  const admins = new Set([owner])
  const accepted = new Set<Grant>()
  const queue = [owner]
  while (queue.length > 0) {
    for (const g of byIssuer.get(queue.pop()!) ?? []) {
      accepted.add(g)
      if (g.role === 'admin' && !admins.has(g.subject)) {
        admins.add(g.subject)
        queue.push(g.subject)
      }
    }
  }
  return { admins, accepted }
}

function targetsOf(revocations: Iterable<Revocation>): Set<string> {
  return new Set([...revocations].map((r) => r.target))
}

function membersOf(owner: string, grants: ReadonlySet<Grant>): Map<string, Member> {
  const roles = new Map<string, Set<Role>>([[owner, new Set<Role>(['admin'])]])
  const ids = new Map<string, string[]>([[owner, []]])
  for (const g of grants) {
    if (!roles.has(g.subject)) { roles.set(g.subject, new Set()); ids.set(g.subject, []) }
    roles.get(g.subject)!.add(g.role)
    ids.get(g.subject)!.push(g.id)
  }
  const members = new Map<string, Member>()
  for (const peerId of [...roles.keys()].sort()) {
    const held = roles.get(peerId)!
    members.set(peerId, { peerId, owner: peerId === owner, roles: ROLES.filter((r) => held.has(r)), grants: ids.get(peerId)!.sort() })
  }
  return members
}
