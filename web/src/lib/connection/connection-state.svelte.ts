/** Who this browser is connected to, and how: read live from the libp2p node, for the connection panel. */
import { createSubscriber } from 'svelte/reactivity'
import { connectionKind, type ConnectionKind, type QuireNode } from '@quire/node'

/** One remote peer and the kinds of its open connections. */
export interface PeerLink {
  readonly peerId: string
  /** Kinds of the open connections to it, direct ones first. */
  readonly kinds: readonly ConnectionKind[]
  /** It is one of the configured relays. */
  readonly relay: boolean
  /** The best kind: `webrtc` or `direct` if any, else `relayed`. */
  readonly best: ConnectionKind
  /** Remote addresses, for the details view and tests. */
  readonly addrs: readonly string[]
}

const ORDER: Record<ConnectionKind, number> = { webrtc: 0, direct: 1, relayed: 2 }

/** Reads the node's connections into {@link PeerLink}s. */
export function peerLinks(node: Pick<QuireNode, 'getConnections'>, relayIds: readonly string[]): PeerLink[] {
  const relays = new Set(relayIds)
  const byPeer = new Map<string, { kinds: Set<ConnectionKind>; addrs: string[] }>()
  for (const c of node.getConnections()) {
    if (c.status !== 'open') continue
    const id = c.remotePeer.toString()
    const entry = byPeer.get(id) ?? { kinds: new Set<ConnectionKind>(), addrs: [] }
    entry.kinds.add(connectionKind(c))
    entry.addrs.push(c.remoteAddr.toString())
    byPeer.set(id, entry)
  }
  return [...byPeer].map(([peerId, { kinds, addrs }]) => {
    const sorted = [...kinds].sort((a, b) => ORDER[a] - ORDER[b])
    return { peerId, kinds: sorted, relay: relays.has(peerId), best: sorted[0]!, addrs }
  }).sort((a, b) => Number(b.relay) - Number(a.relay) || a.peerId.localeCompare(b.peerId))
}

const EVENTS = ['connection:open', 'connection:close', 'peer:identify', 'start', 'stop'] as const

export class ConnectionState {
  readonly #node: QuireNode
  readonly #relayIds: () => readonly string[]
  readonly #subscribe: () => void

  constructor(node: QuireNode, relayIds: () => readonly string[]) {
    this.#node = node
    this.#relayIds = relayIds
    this.#subscribe = createSubscriber((update) => {
      for (const e of EVENTS) node.addEventListener(e, update)
      return () => { for (const e of EVENTS) node.removeEventListener(e, update) }
    })
  }

  get peers(): PeerLink[] {
    this.#subscribe()
    return peerLinks(this.#node, this.#relayIds())
  }

  /** Whether any configured relay is connected. */
  get relayConnected(): boolean {
    return this.peers.some((p) => p.relay)
  }

  /** The link to one peer, if connected. */
  link(peerId: string): PeerLink | undefined {
    return this.peers.find((p) => p.peerId === peerId)
  }
}
