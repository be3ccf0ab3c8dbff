/**
 * Questions enforcement asks of a membership. A peer that is not a member can do nothing; the owner can
 * do everything an admin can.
 */
import type { Membership } from './membership.js'
import { ROLE_CAPABILITIES, type Role } from './roles.js'

type Capability = keyof (typeof ROLE_CAPABILITIES)[Role]

function has(membership: Membership, peerId: string, capability: Capability): boolean {
  const member = membership.members.get(peerId)
  return member !== undefined && member.roles.some((role) => ROLE_CAPABILITIES[role][capability])
}

/** May this peer receive the project's documents (every role)? */
export function canRead(membership: Membership, peerId: string): boolean {
  return has(membership, peerId, 'read')
}

/** May this peer change the project's documents (admin, writer, compute)? */
export function canWrite(membership: Membership, peerId: string): boolean {
  return has(membership, peerId, 'write')
}

/** May this peer serve as the project's compute peer (compute role)? Compute peers run code only for writers. */
export function canCompute(membership: Membership, peerId: string): boolean {
  return has(membership, peerId, 'compute')
}

/** May this peer host (store and serve) the project as a relay (relay role)? */
export function canHost(membership: Membership, peerId: string): boolean {
  return has(membership, peerId, 'host')
}

/** May this peer grant and revoke (owner and admins)? */
export function canAdmin(membership: Membership, peerId: string): boolean {
  return has(membership, peerId, 'admin')
}

/**
 * May a cell or build queued by this peer run on the project's compute peer (A32)? Writers and admins
 * (and the owner) only: a compute or relay grant lets a peer write results or carry changes, not ask for
 * code to run, and a reader's queue entries never reach the compute peer in the first place (A28).
 */
export function canRequestExecution(membership: Membership, peerId: string): boolean {
  const member = membership.members.get(peerId)
  return member !== undefined && member.roles.some((role) => role === 'admin' || role === 'writer')
}
