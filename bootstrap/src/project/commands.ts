/** The `quire project` subcommands, each on an open {@link Session}. */
import type { DocHandle, DocumentId } from '@automerge/automerge-repo'
import { appendGrantEntries, type GrantsDoc } from '@quire/crdt'
import {
  AccessError,
  canAdmin,
  computeMembership,
  createInvite,
  createProjectWithGrants,
  hostingRequestFor,
  inviteToUrl,
  isEd25519PeerId,
  isRole,
  readProjectLinks,
  requestHosting,
  revokeMember,
  signGrant,
  type Membership,
  type Role,
} from '@quire/node'
import { ProjectCliError } from './errors.js'
import { findDoc, type Session } from './session.js'

/** What a command prints. */
export interface Out {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

export async function createCommand(s: Session, o: { name: string; description?: string; timeoutMs: number }, out: Out): Promise<void> {
  const created = await createProjectWithGrants(s.q.repo, {
    name: o.name, owner: s.key, index: s.index, ...(o.description !== undefined && { description: o.description }),
  })
  await s.remember(created.id, created.owner, o.name)
  if (s.relay !== undefined) {
    const grant = await signGrant(s.key, { project: created.id, subject: s.relay.peerId, role: 'relay' })
    created.grants.change((d) => { appendGrantEntries(d, [grant]) })
    await s.index.settled()
    await askToHost(s, created.id, o.timeoutMs)
    for (const handle of [created.project, created.grants, created.chat] as Array<DocHandle<unknown>>) await s.synced(handle, o.timeoutMs)
  }
  out.stdout(`project ${created.id}\nurl automerge:${created.id}\nowner ${created.owner}\n`)
  out.stderr(s.relay === undefined
    ? 'Created locally only: pass --relay to have a relay host it, so members can reach it while this device is off.\n'
    : `Hosted by relay ${s.relay.peerId}.\n`)
}

export async function grantCommand(s: Session, o: { project: DocumentId; peer: string; role: Role; expiresInHours?: number; timeoutMs: number }, out: Out): Promise<void> {
  const p = await openProject(s, o.project, o.timeoutMs)
  requireAdmin(s, p.membership)
  const expires = o.expiresInHours === undefined ? undefined : Date.now() + o.expiresInHours * 3_600_000
  const grant = await signGrant(s.key, { project: o.project, subject: o.peer, role: o.role, ...(expires !== undefined && { expires }) })
  p.grants.change((d) => { appendGrantEntries(d, [grant]) })
  await s.index.settled()
  // A relay not hosting the project yet cannot sync it: this request is how it learns of its grant.
  if (o.role === 'relay' && o.peer === s.relay?.peerId) await askToHost(s, o.project, o.timeoutMs)
  await s.synced(p.grants, o.timeoutMs)
  out.stdout(`grant ${grant.id}\n`)
  out.stderr(`${o.peer} is now ${o.role} in project ${o.project}${expires === undefined ? '' : ` until ${new Date(expires).toISOString()}`}.\n`)
}

export async function revokeCommand(s: Session, o: { project: DocumentId; peer: string; timeoutMs: number }, out: Out): Promise<void> {
  const p = await openProject(s, o.project, o.timeoutMs)
  requireAdmin(s, p.membership)
  let revocations
  try {
    revocations = await revokeMember(s.key, p.membership, o.peer)
  } catch (err) {
    if (err instanceof AccessError) throw new ProjectCliError('QUIRE_FLAG_INVALID', `--peer: ${err.message}`)
    throw err
  }
  if (revocations.length === 0) {
    out.stderr(`${o.peer} has no role in project ${o.project}; nothing to revoke.\n`)
    return
  }
  p.grants.change((d) => { appendGrantEntries(d, revocations) })
  await s.index.settled()
  if (o.peer === s.relay?.peerId) {
    // We stop syncing with a relay we revoked; a hosting request is how it learns, and it says it stopped.
    const told = await requestHosting(s.node, s.relay.address, await hostingRequestFor(s.q.repo, o.project), { signal: AbortSignal.timeout(o.timeoutMs) })
      .then(() => 'still hosts it (another grant?)', (err: unknown) => (err as { code?: string }).code === 'HOST_NOT_GRANTED' ? 'stopped hosting it' : `was not told: ${(err as Error).message}`)
    out.stderr(`The relay ${told}.\n`)
  } else {
    await s.synced(p.grants, o.timeoutMs)
  }
  for (const r of revocations) out.stdout(`revocation ${r.id}\n`)
  out.stderr(`${o.peer} no longer has a role in project ${o.project}.\n`)
}

export async function inviteCommand(s: Session, o: { project: DocumentId; role: Role; uses: number; expiresInHours: number; appUrl: string; timeoutMs: number }, out: Out): Promise<void> {
  const p = await openProject(s, o.project, o.timeoutMs)
  requireAdmin(s, p.membership)
  const { token, invite } = await createInvite(s.key, {
    project: o.project, owner: p.membership.owner, role: o.role, uses: o.uses, expires: Date.now() + o.expiresInHours * 3_600_000,
  })
  out.stdout(inviteToUrl(o.appUrl, token) + '\n')
  out.stderr(`Invite ${invite.id.slice(0, 12)}... for ${o.uses} ${o.uses === 1 ? 'peer' : 'peers'} as ${o.role}, until ${new Date(invite.expires).toISOString()}. ` +
    'Anyone with the link can use it: send it privately. An admin device must be online to accept it.\n')
}

export async function membersCommand(s: Session, o: { project: DocumentId; timeoutMs: number }, out: Out): Promise<void> {
  const p = await openProject(s, o.project, o.timeoutMs)
  out.stdout(membersTable(p.membership, s))
  if (p.membership.rejected.length > 0) out.stderr(`${p.membership.rejected.length} entries of the grants document do not count (revoked, expired, unsigned or forged).\n`)
}

/** A fixed-width table: peer id, roles, note. */
export function membersTable(m: Membership, s: Pick<Session, 'self' | 'relay'>): string {
  const rows = [...m.members.values()]
    .sort((a, b) => Number(b.owner) - Number(a.owner) || a.peerId.localeCompare(b.peerId))
    .map((member) => {
      const notes = [member.owner ? 'owner' : '', member.peerId === s.self ? 'this device' : '', member.peerId === s.relay?.peerId ? 'the --relay' : ''].filter(Boolean)
      return [member.peerId, member.roles.join(','), notes.join(', ')]
    })
  const header = ['PEER', 'ROLES', 'NOTE']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n'
}

interface OpenProject {
  grants: DocHandle<GrantsDoc>
  membership: Membership
}

/** Tracks the project, fetches its documents (from the relay if needed, waiting for the latest grants). */
async function openProject(s: Session, project: DocumentId, timeoutMs: number): Promise<OpenProject> {
  const pinned = s.knownOwner(project)
  await s.index.track(project, { ...(pinned !== undefined && { owner: pinned }), ...(s.relay !== undefined && { provisionalReaders: [s.relay.peerId] }) })
  const projectDoc = await findDoc<unknown>(s, project, timeoutMs, 'project document')
  const grantsId = s.index.grantsOf(project) ?? readProjectLinks(projectDoc.doc()).grants
  if (grantsId === null || grantsId === undefined) throw new ProjectCliError('QUIRE_PROJECT_UNAVAILABLE', `${project} is not a project document (it links no grants document)`)
  const grants = await findDoc<GrantsDoc>(s, grantsId, timeoutMs, 'grants document')
  // The relay's copy may hold grants this device has not seen: membership is computed after catching up.
  // Documents loaded from disk before the index placed them were not offered to the relay: offer them now.
  await s.index.settled()
  await s.q.repo.synchronizer.reevaluateDocumentShare()
  // A relay that has nothing newer may stay silent (automerge-repo keeps a reconnecting peer's sync state
  // in memory, so it sees nothing to say): a short wait, then the local copy is what we have.
  await s.synced(grants as DocHandle<unknown>, Math.min(timeoutMs, 1500)).catch(() => undefined)
  const owner = pinned ?? s.index.ownerOf(project)
  if (owner === undefined) throw new ProjectCliError('QUIRE_PROJECT_UNAVAILABLE', `the project document ${project} names no owner`)
  const membership = await computeMembership(grants.doc(), { now: Date.now(), owner, project })
  if (pinned === undefined && canAdmin(membership, s.self)) await s.remember(project, owner)
  return { grants, membership }
}

function requireAdmin(s: Session, m: Membership): void {
  if (!canAdmin(m, s.self)) {
    throw new ProjectCliError('QUIRE_NOT_ADMIN', `this device (${s.self}, from --data-dir ${s.dataDir}) is not an admin of project ${m.project}: ask its owner (${m.owner}) or an admin to run \`quire project grant --peer ${s.self} --role admin\``)
  }
}

async function askToHost(s: Session, project: DocumentId, timeoutMs: number): Promise<void> {
  if (s.relay === undefined) return
  try {
    await requestHosting(s.node, s.relay.address, await hostingRequestFor(s.q.repo, project), { signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'ERROR'
    throw new ProjectCliError('QUIRE_RELAY_REFUSED', `the relay ${s.relay.peerId} refused to host project ${project}: ${(err as Error).message} (${code})`)
  }
}

/** Checks a `--role` value. */
export function roleFlag(value: string | undefined, command: string): Role {
  if (value === undefined) throw new ProjectCliError('QUIRE_FLAG_INVALID', `quire ${command}: --role is required (admin, writer, reader, compute or relay)`)
  if (!isRole(value)) throw new ProjectCliError('QUIRE_FLAG_INVALID', `quire ${command} --role: unknown role ${JSON.stringify(value)}; use admin, writer, reader, compute or relay`)
  return value
}

/** Checks a `--peer` value. */
export function peerFlag(value: string | undefined, command: string): string {
  if (value === undefined) throw new ProjectCliError('QUIRE_FLAG_INVALID', `quire ${command}: --peer <peer id> is required`)
  if (!isEd25519PeerId(value)) throw new ProjectCliError('QUIRE_FLAG_INVALID', `quire ${command} --peer: ${JSON.stringify(value)} is not a Quire peer id (an Ed25519 peer id, 12D3KooW...)`)
  return value
}
