/**
 * Keeps this browser connected to at least one relay. libp2p redials a bootstrap relay that drops, but
 * gives up after its retries, and never retries a relay that was down when the page loaded; a page left
 * open for a day must reconnect whenever a relay comes back.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { QuireNode } from '@quire/node'
import { withDialTimeout } from './dial-timeout.js'

export interface RelayKeeperOptions {
  /** First retry delay (ms); doubles up to `maxDelayMs`. */
  readonly minDelayMs?: number
  readonly maxDelayMs?: number
  /** Time limit of one dial (ms). */
  readonly dialTimeoutMs?: number
}

export class RelayKeeper {
  readonly #node: QuireNode
  readonly #relays: ReadonlyArray<{ addr: string; peerId: string }>
  readonly #min: number
  readonly #max: number
  readonly #dialTimeout: number
  #delay: number
  #timer: ReturnType<typeof setTimeout> | undefined
  #dialing = false
  #stopped = true
  readonly #onDisconnect = (): void => this.#schedule(this.#min)

  constructor(node: QuireNode, relays: readonly string[], options: RelayKeeperOptions = {}) {
    this.#node = node
    this.#relays = relays.map((addr) => ({ addr, peerId: multiaddr(addr).getComponents().findLast((c) => c.name === 'p2p')?.value ?? '' }))
    this.#min = options.minDelayMs ?? 1_000
    this.#max = options.maxDelayMs ?? 10_000
    this.#dialTimeout = options.dialTimeoutMs ?? 8_000
    this.#delay = this.#min
  }

  /** Peer ids of the configured relays. */
  get relayPeerIds(): string[] {
    return this.#relays.map((r) => r.peerId)
  }

  /** Whether some relay has an open connection now. */
  get connected(): boolean {
    const ids = new Set(this.relayPeerIds)
    return this.#node.getConnections().some((c) => c.status === 'open' && ids.has(c.remotePeer.toString()))
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#node.addEventListener('peer:disconnect', this.#onDisconnect)
    this.#schedule(0)
  }

  stop(): void {
    this.#stopped = true
    this.#node.removeEventListener('peer:disconnect', this.#onDisconnect)
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Try now (the browser came back online, or the person asked). */
  kick(): void {
    this.#delay = this.#min
    this.#schedule(0)
  }

  #schedule(delay: number): void {
    if (this.#stopped || this.#relays.length === 0) return
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = setTimeout(() => { this.#timer = undefined; void this.#tick() }, delay)
  }

  async #tick(): Promise<void> {
    if (this.#stopped || this.#dialing) return
    if (this.connected) {
      this.#delay = this.#min
      this.#schedule(this.#max)
      return
    }
    this.#dialing = true
    try {
      await Promise.any(this.#relays.map((r) => withDialTimeout(this.#dialTimeout, (signal) => this.#node.dial(multiaddr(r.addr), { signal }))))
      this.#delay = this.#min
    } catch {
      this.#delay = Math.min(this.#max, this.#delay * 2)
    } finally {
      this.#dialing = false
    }
    this.#schedule(this.connected ? this.#max : this.#delay)
  }
}
