/**
 * Keeps direct WebRTC connections to the members of the projects open in this browser (a relayed one when
 * WebRTC fails, e.g. to a compute peer in Node without it). Browsers cannot
 * listen, so a connection to another browser is signaled through a relay (`<relay>/p2p-circuit/webrtc/p2p/<peer>`)
 * and then carries data directly; it survives the relay going away. Once a WebRTC connection to a peer is
 * open, relayed connections to it are closed; the sync stream itself moves to the direct one as soon as it
 * opens (Y27 in node/PROTOCOL.md), so it does not depend on that close.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { connectionKind, type QuireNode } from '@quire/node'
import { withDialTimeout } from '../peer/dial-timeout.js'

export interface PeerConnectorOptions {
  /** How often wanted peers are checked (ms). */
  readonly intervalMs?: number
  /** Time limit of one WebRTC dial (ms). */
  readonly dialTimeoutMs?: number
  /** Longest wait between two dials to one unreachable peer (ms). */
  readonly maxBackoffMs?: number
}

interface Attempt { next: number; backoff: number }

export class PeerConnector {
  readonly #node: QuireNode
  readonly #relays: () => readonly string[]
  readonly #wanted = new Map<string, number>()
  readonly #attempts = new Map<string, Attempt>()
  readonly #dialing = new Set<string>()
  readonly #interval: number
  readonly #dialTimeout: number
  readonly #maxBackoff: number
  #timer: ReturnType<typeof setInterval> | undefined
  readonly #onOpen = (): void => this.#pruneRelayed()

  constructor(node: QuireNode, relays: () => readonly string[], options: PeerConnectorOptions = {}) {
    this.#node = node
    this.#relays = relays
    this.#interval = options.intervalMs ?? 2_000
    this.#dialTimeout = options.dialTimeoutMs ?? 15_000
    this.#maxBackoff = options.maxBackoffMs ?? 30_000
  }

  start(): void {
    if (this.#timer !== undefined) return
    this.#node.addEventListener('connection:open', this.#onOpen)
    this.#timer = setInterval(() => this.#tick(), this.#interval)
    this.#tick()
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    this.#node.removeEventListener('connection:open', this.#onOpen)
  }

  /** Adds peers to keep connected to; each `want` is undone by one `unwant`. */
  want(peers: Iterable<string>): void {
    const self = this.#node.peerId.toString()
    for (const p of peers) {
      if (p === self) continue
      this.#wanted.set(p, (this.#wanted.get(p) ?? 0) + 1)
      // The peer whose id sorts first dials at once, the other a little later if still unconnected: two
      // browsers dialing each other at the same moment would open two WebRTC links.
      this.#attempts.set(p, { next: self < p ? 0 : Date.now() + 4_000, backoff: 1_000 })
    }
    this.#tick()
  }

  unwant(peers: Iterable<string>): void {
    for (const p of peers) {
      const n = (this.#wanted.get(p) ?? 0) - 1
      if (n <= 0) this.#wanted.delete(p)
      else this.#wanted.set(p, n)
    }
  }

  /** Dial every wanted peer now (after coming back online). */
  retryNow(): void {
    this.#attempts.clear()
    this.#tick()
  }

  #tick(): void {
    if (this.#node.status !== 'started') return
    const now = Date.now()
    const relays = this.#relays()
    const relayIds = new Set(relays.map((r) => r.split('/p2p/').pop()))
    for (const peer of this.#wanted.keys()) {
      if (relayIds.has(peer) || this.#dialing.has(peer) || this.#hasDirect(peer)) continue
      const attempt = this.#attempts.get(peer)
      if (attempt !== undefined && now < attempt.next) continue
      void this.#dial(peer, relays)
    }
  }

  #hasDirect(peer: string): boolean {
    return this.#node.getConnections().some((c) => c.status === 'open' && c.remotePeer.toString() === peer && connectionKind(c) !== 'relayed')
  }

  async #dial(peer: string, relays: readonly string[]): Promise<void> {
    this.#dialing.add(peer)
    try {
      // One relay after another: dialing through all at once would open several WebRTC links to one peer.
      for (const relay of relays) {
        try {
          await withDialTimeout(this.#dialTimeout, (signal) => this.#node.dial(multiaddr(`${relay}/p2p-circuit/webrtc/p2p/${peer}`), { signal }))
          this.#attempts.delete(peer)
          this.#pruneRelayed()
          return
        } catch {
          // Not reserved on this relay (offline, or elsewhere), or no WebRTC there: try the next one.
        }
      }
      // A peer without WebRTC (a compute peer in Node) is still reachable through a relay; the WebRTC
      // dial is retried later and replaces the relayed connection when it succeeds.
      if (!this.#node.getConnections().some((c) => c.status === 'open' && c.remotePeer.toString() === peer)) {
        for (const relay of relays) {
          try {
            await withDialTimeout(this.#dialTimeout, (signal) => this.#node.dial(multiaddr(`${relay}/p2p-circuit/p2p/${peer}`), { signal }))
            break
          } catch {
            // Not on this relay either.
          }
        }
      }
      const backoff = Math.min(this.#maxBackoff, (this.#attempts.get(peer)?.backoff ?? 1_000) * 2)
      this.#attempts.set(peer, { next: Date.now() + backoff, backoff })
    } finally {
      this.#dialing.delete(peer)
    }
  }

  #pruneRelayed(): void {
    for (const c of this.#node.getConnections()) {
      if (c.status !== 'open' || connectionKind(c) !== 'relayed') continue
      const peer = c.remotePeer.toString()
      if (this.#hasDirect(peer)) void c.close().catch(() => undefined)
    }
  }
}
