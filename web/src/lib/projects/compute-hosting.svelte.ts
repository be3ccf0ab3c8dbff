/**
 * Asks each project's assigned compute peer to serve it (`/quire/host/1.0.0`, A34). A compute peer knows
 * nothing of a project until an admin shows it the project and grants documents; so for every project where
 * we are an admin and the settings name a compute peer that holds the `compute` role, we ask it: when the
 * project is created, when an admin picks another compute peer, at start, and every few seconds for projects
 * not served yet (at once when the compute peer or a relay connects). A refusal is asked again only when
 * the project is created or its compute peer changes here. Browsers reach a compute peer through a
 * relay (`<relay>/p2p-circuit/p2p/<compute>`), or over the connection the connector already opened.
 */
import type { DocumentId } from '@automerge/automerge-repo'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import { SvelteMap } from 'svelte/reactivity'
import { readProject, type ProjectDoc } from '@quire/crdt'
import { canAdmin, hostingRequestFor, requestHosting } from '@quire/node'
import type { ComputeServing } from '../notebook/index.js'
import { withDialTimeout } from '../peer/dial-timeout.js'
import { describeError } from '../peer/errors.js'
import type { Session } from '../peer/session.svelte.js'

/** Where a project stands with its assigned compute peer. */
export type ComputeHostingState = ComputeServing & { readonly peer: string }

const RETRY_MS = 5_000

export class ComputeHosting {
  readonly #states = new SvelteMap<DocumentId, ComputeHostingState>()
  readonly #session: Session
  readonly #projects: () => Iterable<DocumentId>
  #running: Promise<void> = Promise.resolve()
  #timer: ReturnType<typeof setInterval> | undefined
  readonly #onConnect = (e: CustomEvent<{ toString(): string }>): void => {
    const peer = e.detail.toString()
    const waiting = [...this.#states.values()].some((s) => s.state === 'failed' && s.peer === peer)
    if (waiting || this.#session.relayPeerIds.includes(peer)) this.ensure()
  }

  constructor(session: Session, projects: () => Iterable<DocumentId>) {
    this.#session = session
    this.#projects = projects
  }

  start(): void {
    this.#session.node.addEventListener('peer:connect', this.#onConnect)
    // Also catches what no event announces: grants that arrived later, another admin's change of compute peer.
    this.#timer = setInterval(() => this.ensure(), RETRY_MS)
    this.ensure()
  }

  stop(): void {
    this.#session.node.removeEventListener('peer:connect', this.#onConnect)
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** The outcome of our last request for a project, if we asked. */
  state(project: string): ComputeHostingState | undefined {
    return this.#states.get(project as DocumentId)
  }

  /**
   * Asks for one project (after it was created, or its compute peer changed: a refusal is asked again) or
   * for every project not served or refused yet.
   */
  ensure(project?: DocumentId): Promise<void> {
    this.#running = this.#running.then(() => this.#ensure(project)).catch(() => undefined)
    return this.#running
  }

  async #ensure(only: DocumentId | undefined): Promise<void> {
    for (const project of only !== undefined ? [only] : [...this.#projects()]) {
      try {
        await this.#ask(project, only !== undefined)
      } catch (err) {
        console.warn(`[quire] could not ask the compute peer of ${project}:`, err)
      }
    }
  }

  async #ask(project: DocumentId, again: boolean): Promise<void> {
    const s = this.#session
    if (!s.online) return
    // Just created or changed here: let the index read the grants written with it first.
    if (again) await s.index.settled()
    const membership = await s.index.membership(project, Date.now())?.catch(() => undefined)
    if (membership === undefined || !canAdmin(membership, s.peerId)) return
    const handle = s.repo.handles[project]
    if (handle === undefined || !handle.isReady()) return
    const read = readProject(handle.doc() as ProjectDoc)
    const peer = read.ok ? read.value.settings.computePeer : null
    const before = this.#states.get(project)
    if (peer === null || !membership.members.get(peer)?.roles.includes('compute')) {
      if (before !== undefined) this.#states.delete(project)
      return
    }
    if (before?.peer === peer && (before.state === 'serving' || (before.state === 'refused' && !again))) return
    this.#states.set(project, { state: 'asking', peer })
    try {
      const request = await hostingRequestFor(s.repo, project)
      await withDialTimeout(15_000, (signal) => requestHosting(s.node, this.#target(peer), request, { signal }))
      this.#states.set(project, { state: 'serving', peer })
    } catch (err) {
      const code = (err as { code?: unknown }).code
      const refused = code === 'HOST_NOT_GRANTED' || code === 'NOT_ADMIN' || code === 'HOST_REQUEST_INVALID'
      this.#states.set(project, { state: refused ? 'refused' : 'failed', peer, message: describeError(err) })
    }
  }

  /** The open connection's peer when there is one, else the compute peer through each relay. */
  #target(peer: string): PeerId | Multiaddr[] {
    const node = this.#session.node
    if (node.getConnections().some((c) => c.status === 'open' && c.remotePeer.toString() === peer)) return peerIdFromString(peer)
    return this.#session.bootstrap.relays.map((relay) => multiaddr(`${relay}/p2p-circuit/p2p/${peer}`))
  }
}
