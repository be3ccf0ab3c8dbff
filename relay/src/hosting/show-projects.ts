/**
 * Hosting follows the grants through federation (RL62): a relay that hosts a project shows it (a hosting
 * request, as an admin's device would send) to each federated relay the project's verified grants give the
 * relay role, so that granting a relay is enough: no admin has to be online to ask it. The receiving relay
 * checks the signed grants chain for its own role whoever shows it the project (GrantHosting), and pins the
 * owner as for an admin's request. A project is shown again to a relay only after the grants change; a
 * relay whose grant is revoked is not shown it, and the hosting policy stops syncing the project with it.
 */
import type { DocumentId, Repo } from '@automerge/automerge-repo'
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { AccessError, canHost, hostingRequestFor, requestHosting, type ProjectIndex } from '@quire/node'
import type { GrantHosting } from './grant-hosting.js'

/** Options of {@link ProjectShowing}. */
export interface ProjectShowingInit {
  readonly node: Pick<Libp2p, 'dialProtocol' | 'getConnections'>
  readonly repo: Repo
  readonly index: ProjectIndex
  readonly grants: GrantHosting
  /** Peer ids of the federated relays. */
  readonly federated: readonly string[]
  /** This relay's peer id. */
  readonly self: string
  readonly log: (line: string) => void
  /** How often hosted projects are looked at (ms). Default 2,000. */
  readonly intervalMs?: number
  readonly now?: () => number
}

/** See the module comment. */
export class ProjectShowing {
  readonly #init: ProjectShowingInit
  /** `project relay` -> the grants heads when it was last shown (or refused), so it is not asked again. */
  readonly #shown = new Map<string, string>()
  #timer: NodeJS.Timeout | undefined
  #running = false
  #stopped = false

  constructor(init: ProjectShowingInit) {
    this.#init = init
  }

  start(): void {
    if (this.#init.federated.length === 0) return
    const tick = (): void => {
      if (this.#stopped) return
      void this.round().finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#init.intervalMs ?? 2_000)
        this.#timer?.unref()
      })
    }
    tick()
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
  }

  /** One look at every hosted project and federated relay (exported for tests; the timer calls it). */
  async round(): Promise<void> {
    if (this.#running) return
    this.#running = true
    try {
      const { grants, index, repo, self } = this.#init
      const now = (this.#init.now ?? Date.now)()
      const connected = new Set(this.#init.node.getConnections().map((c) => c.remotePeer.toString()))
      for (const project of grants.projects) {
        const membership = await index.membership(project, now)?.catch(() => undefined)
        if (membership === undefined || !canHost(membership, self)) continue
        const grantsId = index.grantsOf(project)
        const handle = grantsId === undefined ? undefined : repo.handles[grantsId]
        if (handle?.isReady() !== true) continue
        const heads = [...handle.heads()].sort().join(',')
        for (const relay of this.#init.federated) {
          const key = `${project} ${relay}`
          if (relay === self || !canHost(membership, relay)) {
            this.#shown.delete(key)
            continue
          }
          if (this.#shown.get(key) === heads || !connected.has(relay) || this.#stopped) continue
          await this.#show(project, relay, key, heads)
        }
      }
    } finally {
      this.#running = false
    }
  }

  async #show(project: DocumentId, relay: string, key: string, heads: string): Promise<void> {
    try {
      const request = await hostingRequestFor(this.#init.repo, project)
      await requestHosting(this.#init.node, peerIdFromString(relay), request, { signal: AbortSignal.timeout(15_000) })
      this.#shown.set(key, heads)
      this.#init.log(`[quire-relay] showed project ${project} to federated relay ${relay}, which its grants give the relay role`)
    } catch (err) {
      // A refusal is an answer (it is asked again when the grants change); anything else is retried.
      if (err instanceof AccessError) {
        this.#shown.set(key, heads)
        this.#init.log(`[quire-relay] federated relay ${relay} refused project ${project}: ${err.code}: ${err.message}`)
      }
    }
  }
}
