import { multiaddr } from '@multiformats/multiaddr'
import type { DocumentId, Repo } from '@automerge/automerge-repo'
import type { QuireNode } from '@quire/node'
import { RelayError } from '../errors.js'

/** Options of {@link Federation}. */
export interface FederationInit {
  node: QuireNode
  repo: Repo
  /** Multiaddrs of the federated relays, each ending in `/p2p/<peer id>`. */
  peers: string[]
  /** The documents to replicate with a federated relay when it connects. */
  documents: () => DocumentId[]
  log: (line: string) => void
}

/** Peer ids of federation multiaddrs; throws naming the bad entry. */
export function federationPeerIds(peers: readonly string[]): string[] {
  return peers.map((p, i) => {
    let id: string | undefined
    try {
      id = multiaddr(p).getComponents().find((c) => c.name === 'p2p')?.value
    } catch {
      throw new RelayError('RELAY_CONFIG_INVALID', `peers entry ${i + 1}: ${JSON.stringify(p)} is not a multiaddr`)
    }
    if (id === undefined) throw new RelayError('RELAY_CONFIG_INVALID', `peers entry ${i + 1}: ${JSON.stringify(p)} has no /p2p/<peer id>; a federated relay must be authenticated`)
    return id
  })
}

/**
 * Keeps the relay connected to its federated relays (redialing with backoff) and, whenever one's sync
 * stream comes up, loads every hosted document so the repo syncs it with that relay (the hosting policy announces hosted
 * documents to federated relays only). Documents only one of the two hosts are refused by the other's
 * policy, so federation replicates exactly the documents both host.
 */
export class Federation {
  readonly #init: FederationInit
  readonly #ids: Map<string, string>
  readonly #timers = new Map<string, NodeJS.Timeout>()
  readonly #backoff = new Map<string, number>()
  #stopped = false
  readonly #onConnect = (evt: CustomEvent<{ toString(): string }>): void => { this.#backoff.delete(evt.detail.toString()) }
  readonly #onDisconnect = (evt: CustomEvent<{ toString(): string }>): void => this.#schedule(evt.detail.toString())

  constructor(init: FederationInit) {
    this.#init = init
    const ids = federationPeerIds(init.peers)
    this.#ids = new Map(ids.map((id, i) => [id, init.peers[i]!]))
  }

  start(): void {
    if (this.#ids.size === 0) return
    this.#init.node.addEventListener('peer:connect', this.#onConnect)
    this.#init.node.addEventListener('peer:disconnect', this.#onDisconnect)
    for (const id of this.#ids.keys()) {
      if (!this.#init.node.getConnections().some((c) => c.remotePeer.toString() === id)) void this.#dial(id)
    }
  }

  stop(): void {
    this.#stopped = true
    this.#init.node.removeEventListener('peer:connect', this.#onConnect)
    this.#init.node.removeEventListener('peer:disconnect', this.#onDisconnect)
    for (const t of this.#timers.values()) clearTimeout(t)
    this.#timers.clear()
  }

  async #dial(id: string): Promise<void> {
    if (this.#stopped) return
    try {
      await this.#init.node.dial(multiaddr(this.#ids.get(id)!), { signal: AbortSignal.timeout(10_000) })
    } catch (err) {
      this.#init.log(`[quire-relay] federated relay ${id} unreachable (${(err as Error).message}); retrying`)
      this.#schedule(id)
    }
  }

  #schedule(id: string): void {
    if (this.#stopped || !this.#ids.has(id) || this.#timers.has(id)) return
    const delay = this.#backoff.get(id) ?? 500
    this.#backoff.set(id, Math.min(delay * 2, 30_000))
    this.#timers.set(id, setTimeout(() => {
      this.#timers.delete(id)
      if (!this.#init.node.getConnections().some((c) => c.remotePeer.toString() === id)) void this.#dial(id)
    }, delay))
  }

  /** Call when a peer's sync stream is up (the repo's `peer` event): replicates with it if it is federated. */
  syncPeerConnected(id: string): void {
    if (!this.#ids.has(id) || this.#stopped) return
    // Loading a document registers it with the synchronizer, which offers it to every peer the policy
    // announces it to: the federated relays. A few at a time, to keep a large relay responsive.
    const queue = [...this.#init.documents()]
    const worker = async (): Promise<void> => {
      for (let docId = queue.shift(); docId !== undefined && !this.#stopped; docId = queue.shift()) {
        await this.#init.repo.find(docId, { allowableStates: ['ready', 'unavailable'], signal: AbortSignal.timeout(30_000) }).catch(() => undefined)
      }
    }
    for (let i = 0; i < 4; i++) void worker()
  }
}
