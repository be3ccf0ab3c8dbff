/**
 * How a browser reaches a project's compute peer: over a connection it already has, else through each relay
 * (`<relay>/p2p-circuit/p2p/<compute>`): compute peers behind NAT are reachable only that way.
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Session } from '../peer/session.svelte.js'

export function computeTarget(session: Session, peer: string): PeerId | Multiaddr[] {
  if (session.node.getConnections().some((c) => c.status === 'open' && c.remotePeer.toString() === peer)) return peerIdFromString(peer)
  return session.bootstrap.relays.map((relay) => multiaddr(`${relay}/p2p-circuit/p2p/${peer}`))
}
