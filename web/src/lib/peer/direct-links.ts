/**
 * Keeps the direct (not relayed) links to other peers healthy, next to the PeerConnector that dials them:
 *
 * - One link per peer. Two browsers that dial each other at the same moment (both came back online and
 *   retried) open two WebRTC links; sync then runs over one and presence over the other. Both ends keep
 *   the same one (see `linksToClose`), so no end closes the link the other end kept.
 * - No dead links. A link whose other end closed it may stay listed as open here (the close never
 *   arrived); changes then go through a relayed connection, or nowhere. Each link is pinged over itself,
 *   and one that misses several answers in a row is aborted. The connector sees the peer without a direct
 *   link at its next check and dials it again.
 *
 * Links to relays are left alone: libp2p keeps those, and the relay reservation lives on one of them.
 */
import type { Connection } from '@libp2p/interface'
import { connectionKind, type QuireNode } from '@quire/node'
import { pingOver } from './link-ping.js'

export interface DirectLinksOptions {
  /** How often every direct link is pinged (ms). */
  readonly pingIntervalMs?: number
  /** A ping not answered within this time is a miss (ms). */
  readonly pingTimeoutMs?: number
  /** Misses in a row after which a link is aborted as dead. */
  readonly maxMisses?: number
}

/** What the choice between duplicate links reads of a connection. */
export type LinkFacts = Pick<Connection, 'id' | 'direction' | 'timeline'>

/**
 * The links to one peer that this end closes. Both ends keep the links dialled by the peer whose id sorts
 * first (if there is one; otherwise those of the other peer), so both close the same ones. Among several
 * links dialled by the same peer only that peer can tell them apart for sure, so only it closes all but
 * its oldest; the other end waits for those closes to arrive.
 */
export function linksToClose<T extends LinkFacts>(self: string, peer: string, links: readonly T[]): T[] {
  if (links.length < 2) return []
  const firstDials: Connection['direction'] = self < peer ? 'outbound' : 'inbound'
  const preferred = links.filter((l) => l.direction === firstDials)
  const kept = preferred.length > 0 ? preferred : [...links]
  const close = links.filter((l) => !kept.includes(l))
  if (kept.length > 1 && kept[0]!.direction === 'outbound') {
    const oldest = kept.reduce((a, b) => (b.timeline.open < a.timeline.open || (b.timeline.open === a.timeline.open && b.id < a.id) ? b : a))
    close.push(...kept.filter((l) => l !== oldest))
  }
  return close
}

export class DirectLinks {
  readonly #node: QuireNode
  readonly #relayIds: () => readonly string[]
  readonly #interval: number
  readonly #timeout: number
  readonly #maxMisses: number
  /** Consecutive missed pings per connection id. */
  readonly #misses = new Map<string, number>()
  readonly #pinging = new Set<string>()
  readonly #deduping = new Set<string>()
  #timer: ReturnType<typeof setInterval> | undefined
  readonly #onOpen = (event: CustomEvent<Connection>): void => { void this.#dedupe(event.detail.remotePeer.toString()) }
  readonly #onClose = (event: CustomEvent<Connection>): void => { this.#misses.delete(event.detail.id) }

  constructor(node: QuireNode, relayIds: () => readonly string[], options: DirectLinksOptions = {}) {
    this.#node = node
    this.#relayIds = relayIds
    this.#interval = options.pingIntervalMs ?? 10_000
    this.#timeout = options.pingTimeoutMs ?? 5_000
    this.#maxMisses = options.maxMisses ?? 2
  }

  start(): void {
    if (this.#timer !== undefined) return
    this.#node.addEventListener('connection:open', this.#onOpen)
    this.#node.addEventListener('connection:close', this.#onClose)
    this.#timer = setInterval(() => this.#sweep(), this.#interval)
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.#node.removeEventListener('connection:open', this.#onOpen)
    this.#node.removeEventListener('connection:close', this.#onClose)
  }

  /** Open direct links to `peer` (all peers when omitted), relays excepted. */
  links(peer?: string): Connection[] {
    const relays = new Set(this.#relayIds())
    return this.#node.getConnections().filter((c) => {
      const remote = c.remotePeer.toString()
      return c.status === 'open' && connectionKind(c) !== 'relayed' && !relays.has(remote) && (peer === undefined || remote === peer)
    })
  }

  #sweep(): void {
    if (this.#node.status !== 'started') return
    const peers = new Set<string>()
    for (const link of this.links()) {
      peers.add(link.remotePeer.toString())
      void this.#check(link)
    }
    // A link that opened while its peer was being deduplicated is looked at here.
    for (const peer of peers) void this.#dedupe(peer)
  }

  /** Pings one link; aborts it after `maxMisses` misses in a row. */
  async #check(link: Connection): Promise<void> {
    if (this.#pinging.has(link.id)) return
    this.#pinging.add(link.id)
    try {
      const answer = await this.#probe(link)
      if (answer === 'alive') this.#misses.set(link.id, 0)
      if (answer !== 'miss' || link.status !== 'open') return
      const misses = (this.#misses.get(link.id) ?? 0) + 1
      this.#misses.set(link.id, misses)
      if (misses >= this.#maxMisses) {
        this.#misses.delete(link.id)
        link.abort(new Error(`no answer to ${misses} pings in a row: the link is dead`))
      }
    } finally {
      this.#pinging.delete(link.id)
    }
  }

  async #dedupe(peer: string): Promise<void> {
    if (this.#deduping.has(peer) || this.#node.status !== 'started') return
    this.#deduping.add(peer)
    try {
      // Each round either closes the duplicates or aborts one dead link, so it ends.
      for (let round = 0; round < 8; round++) {
        const links = this.links(peer)
        const close = linksToClose(this.#node.peerId.toString(), peer, links)
        if (close.length === 0) return
        // A link kept must be alive: when the one the rule keeps is a dead leftover, closing the others
        // would leave none (and the peer would dial a new one, which the rule would close again).
        const dead = await this.#firstDead(links.filter((l) => !close.includes(l)))
        if (dead === undefined) {
          await Promise.all(close.map((c) => c.close().catch((err: unknown) => c.abort(err instanceof Error ? err : new Error(String(err))))))
          return
        }
        dead.abort(new Error('a newer link to this peer replaced this one, which no longer answers pings'))
      }
    } finally {
      this.#deduping.delete(peer)
    }
  }

  /**
   * One ping. `busy`: another ping is in flight on the link (libp2p's connection monitor; one outbound ping
   * stream per connection is allowed), which says nothing either way. A peer that refuses the protocol
   * answered the negotiation, so the link carries data.
   */
  async #probe(link: Connection): Promise<'alive' | 'miss' | 'busy'> {
    try {
      await pingOver(link, AbortSignal.timeout(this.#timeout))
      return 'alive'
    } catch (err) {
      const name = err instanceof Error ? err.name : ''
      if (name === 'TooManyOutboundProtocolStreamsError') return 'busy'
      return name === 'UnsupportedProtocolError' ? 'alive' : 'miss'
    }
  }

  /** The first of `links` that misses `maxMisses` pings in a row (asked now: the decision cannot wait). */
  async #firstDead(links: readonly Connection[]): Promise<Connection | undefined> {
    for (const link of links) {
      let misses = 0
      for (let waits = 0; link.status === 'open' && misses < this.#maxMisses && waits < 50;) {
        const answer = await this.#probe(link)
        if (answer === 'alive') break
        if (answer === 'miss') misses++
        // Another ping holds the link's one ping stream (the sweep, libp2p's monitor): let it finish.
        else { waits++; await new Promise((r) => setTimeout(r, 100)) }
      }
      if (link.status !== 'open' || misses >= this.#maxMisses) return link
    }
    return undefined
  }
}
