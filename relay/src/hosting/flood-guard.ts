/** Pausing and resuming the reading of one peer's sync stream (the libp2p sync adapter does this). */
export interface PeerFlowControl {
  pausePeer(peerId: string): void
  resumePeer(peerId: string): void
}

/** Options of {@link FloodGuard}. */
export interface FloodGuardInit {
  flow: PeerFlowControl
  /** How far behind the disk is (ms): the age of the oldest write under way. */
  diskLagMs: () => number
  /** Congestion threshold, for the disk and for the event loop (ms). Default 100. */
  maxLagMs?: number
  /** How often to look (ms). Default 50. */
  intervalMs?: number
  /** A peer is paused only if it sent at least this many messages lately. Default 20. */
  minMessages?: number
  /** ...and more than this many times the average of the other peers that sent lately. Default 2. */
  shareFactor?: number
}

/**
 * Keeps one peer from starving the others. The relay handles every peer's messages on one event loop and
 * writes every acknowledged change to one disk, in arrival order; a peer that sends faster than either can
 * take (new documents, large changes) would push everyone's edits behind its backlog. So while the relay
 * is congested (its oldest pending write, or its event loop, more than `maxLagMs` behind), peers that sent
 * more than `shareFactor` times what the other peers sent on average are not read; yamux then stops
 * granting them send window, so they slow down at the source. They are read again once the backlog is half
 * gone. A peer alone, or one sending about as much as the others, is never paused, so a member's bulk sync
 * only waits when others need the relay. (Pausing everyone above the plain average, as first written,
 * paused half of a group of equal typists whenever a garbage collection made the loop late, and their
 * keystrokes waited for the backlog to halve.)
 */
export class FloodGuard {
  /** Times a peer was paused. */
  pauses = 0
  readonly #init: FloodGuardInit
  readonly #maxLag: number
  readonly #interval: number
  readonly #minMessages: number
  readonly #shareFactor: number
  /** Messages per peer lately (halved every tick). */
  readonly #recent = new Map<string, number>()
  readonly #paused = new Set<string>()
  readonly #timer: NodeJS.Timeout
  #lastTick = performance.now()

  constructor(init: FloodGuardInit) {
    this.#init = init
    this.#maxLag = init.maxLagMs ?? 100
    this.#interval = init.intervalMs ?? 50
    this.#minMessages = init.minMessages ?? 20
    this.#shareFactor = init.shareFactor ?? 2
    this.#timer = setInterval(() => this.#tick(), this.#interval)
    this.#timer.unref()
  }

  /** Peers not read now. */
  get paused(): string[] {
    return [...this.#paused]
  }

  /** Counts a message received from `peerId`. */
  note(peerId: string): void {
    this.#recent.set(peerId, (this.#recent.get(peerId) ?? 0) + 1)
  }

  stop(): void {
    clearInterval(this.#timer)
    for (const peer of this.#paused) this.#init.flow.resumePeer(peer)
    this.#paused.clear()
  }

  #tick(): void {
    const now = performance.now()
    // A timer that fires late measures how busy the event loop is.
    const loopLag = Math.max(0, now - this.#lastTick - this.#interval)
    this.#lastTick = now
    const lag = Math.max(loopLag, this.#init.diskLagMs())
    if (lag > this.#maxLag) {
      let total = 0
      for (const n of this.#recent.values()) total += n
      const others = this.#recent.size - 1
      for (const [peer, n] of this.#recent) {
        if (others === 0) break
        const othersMean = (total - n) / others
        if (n > this.#shareFactor * othersMean && n >= this.#minMessages && !this.#paused.has(peer)) {
          this.#paused.add(peer)
          this.pauses++
          this.#init.flow.pausePeer(peer)
        }
      }
    } else if (lag < this.#maxLag / 2 && this.#paused.size > 0) {
      for (const peer of this.#paused) this.#init.flow.resumePeer(peer)
      this.#paused.clear()
    }
    for (const [peer, n] of this.#recent) {
      if (n < 1) this.#recent.delete(peer)
      else this.#recent.set(peer, n / 2)
    }
  }
}
