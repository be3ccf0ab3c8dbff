/**
 * Removing a member: revocations name grants, not peers (so a re-grant made concurrently survives), and a
 * peer may hold several grants; this signs one revocation per grant that currently gives the peer rights.
 */
import type { PrivateKey } from '@libp2p/interface'
import { AccessError } from './errors.js'
import { signRevocation, requireTime } from './grant-records.js'
import type { Membership } from './membership.js'
import type { Revocation } from './records.js'
import type { SignedRecord } from './signing.js'

/**
 * Signs the revocation of every effective grant of `peerId` in `membership`, to append to the grants
 * document. The owner cannot be removed (`INVALID_ARGUMENT`); a peer without grants gives `[]`. Whether the
 * revocations count depends, as always, on the signer's admin rights (`computeMembership`).
 */
export async function revokeMember(key: PrivateKey, membership: Membership, peerId: string, options: { issued?: number } = {}): Promise<SignedRecord<Revocation>[]> {
  if (peerId === membership.owner) throw new AccessError('INVALID_ARGUMENT', 'The owner of a project cannot be removed from it.')
  const issued = requireTime(options.issued ?? Date.now(), 'issued')
  const grants = membership.members.get(peerId)?.grants ?? []
  return Promise.all(grants.map((target) => signRevocation(key, { project: membership.project, target, issued })))
}
