/**
 * Joining a project through an invite link: check the invite, sign a redemption request with this
 * browser's key, hand both to an online admin device (the invite's issuer, else the owner) over
 * `/quire/redeem/1.0.0` through a relay, then track the project with its owner pinned. Documents then
 * arrive from the admin, who now counts this browser as a reader.
 */
import type { DocumentId } from '@automerge/automerge-repo'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { AccessError, createRedemptionRequest, requestRedemption, verifyInvite, type Invite } from '@quire/node'
import { withDialTimeout } from '../peer/dial-timeout.js'
import { WebAppError } from '../peer/errors.js'
import type { Session } from '../peer/session.svelte.js'
import type { ProjectList } from './project-list.svelte.js'

/** Reads an invite token without redeeming it (for the join page's "You are invited to..."). */
export function readInvite(token: string): Promise<Invite> {
  return verifyInvite(token, { now: Date.now() })
}

/** Addresses at which `peer` may be reached: through each relay, and its own addresses if known. */
function addressesOf(session: Session, peer: string): Multiaddr[] {
  return session.bootstrap.relays.map((r) => multiaddr(`${r}/p2p-circuit/p2p/${peer}`))
}

/** Redeems `token` and adds the project to `projects`; resolves with the project id. */
export async function joinByInvite(session: Session, projects: ProjectList, token: string, options: { signal?: AbortSignal } = {}): Promise<DocumentId> {
  const invite = await readInvite(token)
  const id = invite.project as DocumentId
  if (projects.get(id) !== undefined) return id
  if (invite.owner === session.peerId) throw new AccessError('INVITE_ALREADY_REDEEMED', 'This invite is for a project you own: it is already in your list.')
  const request = await createRedemptionRequest(session.key, token)
  const admins = [...new Set([invite.issuer, invite.owner])]
  if (session.bootstrap.relays.length === 0) {
    throw new WebAppError('NO_RELAY', 'No relay is known, so the person who invited you cannot be reached: open the invite link from the address your relay serves, or add ?relay=<address>.')
  }
  let accepted: string | undefined
  let lastError: unknown
  for (const admin of admins) {
    const addrs = session.node.getConnections().some((c) => c.remotePeer.toString() === admin)
      ? undefined : addressesOf(session, admin)
    try {
      const target = addrs ?? peerIdFromString(admin)
      await withDialTimeout(20_000, (timeout) => requestRedemption(session.node, target, { invite: token, request }, {
        signal: options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]),
      }))
      accepted = admin
      break
    } catch (err) {
      lastError = err
      // The admin answered: its refusal is final. A busy admin device (A35, already retried) is not an
      // answer: the next admin may take the invite.
      if (err instanceof AccessError && err.code !== 'REDEEM_ADMIN_BUSY') throw err
    }
  }
  if (accepted === undefined) {
    if (lastError instanceof AccessError) throw lastError // REDEEM_ADMIN_BUSY: its message says to try again
    throw new WebAppError('INVITER_OFFLINE',
      'Nobody who can accept this invite is online right now: ask the person who invited you to open the project in their browser, then try the link again.',
      { cause: lastError })
  }
  await session.track(id, { owner: invite.owner, provisionalReaders: [accepted] })
  await projects.add({ id, name: invite.projectName ?? 'Joined project', owner: invite.owner, addedAt: Date.now(), via: 'invite', inviter: accepted })
  return id
}
