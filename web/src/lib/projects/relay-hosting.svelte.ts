/**
 * Asks relays to host this browser's projects (`/quire/host/1.0.0`). A relay that hosts by grants knows
 * nothing of a project until an admin shows it the project and grants documents; it then keeps a replica
 * and serves the project's members while the grants give it the `relay` role. We ask, for every project
 * where we are an admin and a configured relay holds the role, once per session and relay, when the relay
 * is connected (again after a failure, at the next connection).
 */
import type { DocumentId } from '@automerge/automerge-repo'
import { peerIdFromString } from '@libp2p/peer-id'
import { SvelteMap } from 'svelte/reactivity'
import { canAdmin, hostingRequestFor, requestHosting } from '@quire/node'
import { withDialTimeout } from '../peer/dial-timeout.js'
import { describeError } from '../peer/errors.js'
import type { Session } from '../peer/session.svelte.js'

/** Where a project stands with one relay. */
export type HostingState = { readonly state: 'hosted' } | { readonly state: 'refused' | 'failed'; readonly message: string }

export class RelayHosting {
  /** `project\nrelay` to the outcome of our last request. */
  readonly #states = new SvelteMap<string, HostingState>()
  readonly #session: Session
  readonly #projects: () => Iterable<DocumentId>
  #running: Promise<void> = Promise.resolve()
  readonly #onConnect = (e: CustomEvent<{ toString(): string }>): void => {
    if (this.#session.relayPeerIds.includes(e.detail.toString())) this.ensure()
  }

  constructor(session: Session, projects: () => Iterable<DocumentId>) {
    this.#session = session
    this.#projects = projects
  }

  start(): void {
    this.#session.node.addEventListener('peer:connect', this.#onConnect)
    this.ensure()
  }

  stop(): void {
    this.#session.node.removeEventListener('peer:connect', this.#onConnect)
  }

  /** The outcome for a project with a relay, once asked. */
  state(project: string, relay: string): HostingState | undefined {
    return this.#states.get(`${project}\n${relay}`)
  }

  /** Asks every connected relay that should host one project (or all) and has not accepted yet. */
  ensure(project?: DocumentId): Promise<void> {
    this.#running = this.#running.then(() => this.#ensure(project)).catch(() => undefined)
    return this.#running
  }

  async #ensure(only: DocumentId | undefined): Promise<void> {
    const s = this.#session
    const connected = new Set(s.node.getConnections().filter((c) => c.status === 'open').map((c) => c.remotePeer.toString()))
    const relays = s.relayPeerIds.filter((r) => connected.has(r))
    if (relays.length === 0) return
    for (const project of only !== undefined ? [only] : [...this.#projects()]) {
      const membership = await s.index.membership(project, Date.now())?.catch(() => undefined)
      if (membership === undefined || !canAdmin(membership, s.peerId)) continue
      for (const relay of relays) {
        const key = `${project}\n${relay}`
        if (this.#states.get(key)?.state === 'hosted' || !membership.members.get(relay)?.roles.includes('relay')) continue
        try {
          const request = await hostingRequestFor(s.repo, project)
          await withDialTimeout(15_000, (signal) => requestHosting(s.node, peerIdFromString(relay), request, { signal }))
          this.#states.set(key, { state: 'hosted' })
        } catch (err) {
          const code = (err as { code?: unknown }).code
          this.#states.set(key, { state: typeof code === 'string' && code.startsWith('HOST_') || code === 'NOT_ADMIN' ? 'refused' : 'failed', message: describeError(err) })
        }
      }
    }
  }
}
