/**
 * Hosting by grants (RL16 to RL19): the relay hosts a project exactly while the project's grants document
 * gives the relay's own peer id the `relay` role, through a chain of signed grants back to the owner. It
 * learns of a project from `/quire/host/1.0.0`: an admin hands it the project document and the grants
 * document, which it checks in memory; only if they grant it the role does it store them and start
 * tracking the project (persisted, so a restart resumes). Otherwise it refuses and keeps nothing. From
 * then on membership is computed from the grants document as the relay holds it, so a revocation of the
 * relay's grant that reaches it stops it serving the project, and a new grant can be brought by asking
 * again (the request's grants are merged with the relay's own before checking).
 */
import { next as A } from '@automerge/automerge'
import type { DocumentId, Repo } from '@automerge/automerge-repo'
import type { LevelDatabase } from '@quire/crdt'
import type { RefusalCode } from '../errors.js'
import { AcceptedProjects, AccessError, canHost, readProjectLinks, verifyHostingRequest, type HostingRequest, type ProjectIndex } from '@quire/node'
import type { GrantQuotas, QuotaRefusal } from './grant-quotas.js'

/** Why the grants policy refused a peer a document. */
export type GrantRefusalCode = Extract<RefusalCode, 'RELAY_NOT_GRANTED' | 'RELAY_NOT_A_MEMBER'>

/** The verdict on one (peer, document) pair: allowed, refused with a code, or not a granted project's. */
export type GrantVerdict = { ok: true; project: DocumentId } | { ok: false; code: GrantRefusalCode; message: string } | { ok: false; code: 'UNPLACED' }

/** Options of {@link GrantHosting.open}. */
export interface GrantHostingInit {
  /** The relay's database; the list of hosted projects lives in its sublevel `grant-projects`. */
  readonly db: LevelDatabase
  readonly index: ProjectIndex
  /** The relay's peer id: the subject its `relay` grant must name. */
  readonly self: string
  readonly now?: () => number
  /** Called when a project starts being hosted (at start for known ones, or on a granted request). */
  readonly onHosted?: (project: DocumentId) => void
  readonly log: (line: string) => void
  /** Quotas (RL24 to RL27): checked on every request, charged for what a request brings. */
  readonly quotas?: GrantQuotas
  /** Told of each quota refusal of a hosting request, to count and log it like the policy's (RL15). */
  readonly onRefusal?: (refusal: QuotaRefusal, peer: string, project: DocumentId) => void
}

/** See the module comment. */
export class GrantHosting {
  readonly #index: ProjectIndex
  readonly #self: string
  readonly #now: () => number
  readonly #onHosted: ((project: DocumentId) => void) | undefined
  readonly #log: (line: string) => void
  readonly #projects: AcceptedProjects
  readonly #quotas: GrantQuotas | undefined
  readonly #onRefusal: ((refusal: QuotaRefusal, peer: string, project: DocumentId) => void) | undefined
  #repo: Repo | undefined
  /** Project documents whose links are followed, with their change listeners. */
  readonly #followed = new Map<DocumentId, { off(): void }>()
  /** Linked documents already asked for. */
  readonly #fetched = new Set<DocumentId>()
  #stopped = false
  /** One request at a time: two concurrent ones for the same project would import twice. */
  #queue: Promise<unknown> = Promise.resolve()

  private constructor(init: GrantHostingInit, projects: AcceptedProjects) {
    this.#projects = projects
    this.#index = init.index
    this.#self = init.self
    this.#now = init.now ?? Date.now
    this.#onHosted = init.onHosted
    this.#log = init.log
    this.#quotas = init.quotas
    this.#onRefusal = init.onRefusal
  }

  /** Reads the list of projects hosted so far. */
  static async open(init: GrantHostingInit): Promise<GrantHosting> {
    return new GrantHosting(init, await AcceptedProjects.open(init.db, 'grant-projects'))
  }

  /** Projects this relay was granted (whether or not the grant still holds). */
  get projects(): DocumentId[] {
    return [...this.#projects.keys()]
  }

  /** Tracks every known project in the index, with the repo created. Call once. */
  async start(repo: Repo): Promise<void> {
    this.#repo = repo
    for (const [project, stored] of this.#projects.entries()) {
      this.#quotas?.addProject(project, stored.owner)
      await this.#index.track(project, { owner: stored.owner })
      void this.#follow(project)
      this.#onHosted?.(project)
    }
  }

  /** Stops following project documents. */
  stop(): void {
    this.#stopped = true
    for (const f of this.#followed.values()) f.off()
    this.#followed.clear()
  }

  /** Project and grants documents of hosted projects stay loaded: the index watches them. */
  isPinned(documentId: string): boolean {
    if (this.#projects.has(documentId as DocumentId)) return true
    for (const project of this.#projects.keys()) if (this.#index.grantsOf(project) === documentId) return true
    return false
  }

  /** The hosted project a document is charged to when it has none yet: the first that links it. */
  hostedProjectOf(documentId: string): DocumentId | undefined {
    return this.#index.projectsOf(documentId as DocumentId).find((p) => this.#projects.has(p))
  }

  /** May `peer` sync `documentId` with this relay, as far as grants go? */
  async check(peer: string, documentId: DocumentId): Promise<GrantVerdict> {
    const projects = this.#index.projectsOf(documentId).filter((p) => this.#projects.has(p))
    if (projects.length === 0) return { ok: false, code: 'UNPLACED' }
    const now = this.#now()
    for (const project of projects) {
      // Just asked to host, with the grants still loading: not hosted yet (not "no longer granted").
      if (!this.#index.holdsGrants(project)) return { ok: false, code: 'UNPLACED' }
      const membership = await this.#index.membership(project, now)?.catch(() => undefined)
      if (membership === undefined || !canHost(membership, this.#self)) {
        return { ok: false, code: 'RELAY_NOT_GRANTED', message: `project ${project} does not grant this relay the relay role (any more); an admin must grant it and ask again` }
      }
      if (!(await this.#index.canRead(project, peer, now))) {
        return { ok: false, code: 'RELAY_NOT_A_MEMBER', message: `the peer may not read project ${project}` }
      }
    }
    return { ok: true, project: projects[0]! }
  }

  /** Handles one `/quire/host/1.0.0` request from `from`; throws an `AccessError` to refuse. */
  register(request: HostingRequest, from: string): Promise<void> {
    const run = this.#queue.then(() => this.#register(request, from))
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #register(request: HostingRequest, from: string): Promise<void> {
    const repo = this.#repo
    if (repo === undefined) throw new AccessError('HOST_REQUEST_INVALID', 'The relay is still starting: ask again in a moment.')
    const { project } = request
    const { owner, grantsId } = await verifyHostingRequest(request, {
      from, self: this.#self, role: 'relay', index: this.#index, repo, now: this.#now(),
      owner: this.#projects.get(project)?.owner,
      // A project hosted so far takes the admin's grants anyway: members stop syncing with a relay whose
      // grant they see revoked, so this is how the revocation reaches the relay and it stops serving.
      onNotGranted: async (grantsId) => {
        if (!this.#projects.has(project)) return
        this.#import(repo, grantsId, request.grantsDoc)
        await this.#index.settled()
        this.#log(`[quire-relay] no longer hosting project ${project}: its grants do not give this relay the relay role (told by ${from})`)
      },
    })
    const quotas = this.#quotas
    const hosted = this.#projects.has(project)
    if (!hosted) {
      const refusal = quotas?.checkNewProject(owner, request.projectDoc.byteLength + request.grantsDoc.byteLength)
      if (refusal !== undefined) {
        this.#onRefusal?.(refusal, from, project)
        throw refusal_(refusal)
      }
    }
    // Grants are always taken (a revocation must reach the relay); a hosted project past its quota, or of
    // an owner no longer allowed, gets nothing else (RL26), and the admin is told why.
    let refused: QuotaRefusal | undefined
    if (hosted && quotas !== undefined && !quotas.isAllowed(owner)) refused = { code: 'RELAY_OWNER_NOT_ALLOWED', message: `this relay no longer takes new documents or changes of owner ${owner}'s projects (its operator's allowlist); what it stores stays readable to members` }
    const projectBytes = newChangeBytes(repo, project, request.projectDoc)
    const grantsBytes = newChangeBytes(repo, grantsId, request.grantsDoc)
    await this.#projects.add(project, owner)
    quotas?.addProject(project, owner)
    refused ??= quotas?.chargeBytes(project, projectBytes, { force: !hosted })
    if (refused === undefined) this.#import(repo, project, request.projectDoc)
    this.#import(repo, grantsId, request.grantsDoc)
    quotas?.chargeBytes(project, grantsBytes, { force: true })
    quotas?.chargeDocument(project, project, { force: true })
    quotas?.chargeDocument(grantsId, project, { force: true })
    await this.#index.track(project, { owner })
    await this.#index.settled()
    void this.#follow(project)
    this.#log(`[quire-relay] hosting project ${project} (owner ${owner}), asked by ${from}`)
    this.#onHosted?.(project)
    if (refused !== undefined) {
      this.#onRefusal?.(refused, from, project)
      throw refusal_(refused)
    }
  }

  /**
   * Loads every document the project links, now and as links are added. Members offered them before the
   * relay hosted the project and were refused; the repo re-evaluates only documents it has loaded, so
   * loading them is what makes it ask those members again (it remembers who offered what).
   */
  async #follow(project: DocumentId): Promise<void> {
    const repo = this.#repo
    if (repo === undefined || this.#followed.has(project) || this.#stopped) return
    this.#followed.set(project, { off: () => {} })
    const handle = await repo.find<unknown>(project, { allowableStates: ['ready', 'unavailable', 'requesting'] }).catch(() => undefined)
    if (handle === undefined || this.#stopped) return
    const update = (): void => {
      if (!handle.isReady()) return
      for (const id of readProjectLinks(handle.doc()).documents) {
        if (this.#fetched.has(id)) continue
        this.#fetched.add(id)
        void repo.find(id, { allowableStates: ['ready', 'unavailable'] }).catch(() => undefined)
      }
    }
    handle.on('change', update)
    this.#followed.set(project, { off: () => handle.off('change', update) })
    update()
  }

  #import(repo: Repo, documentId: DocumentId, bytes: Uint8Array): void {
    // Merged into the loaded handle when there is one; hosted projects' documents stay loaded (isPinned).
    const handle = repo.import(bytes, { docId: documentId })
    handle.doneLoading()
  }
}

/** The bytes of the changes in `bytes` (a saved document) that the repo's copy of `documentId` lacks. */
function newChangeBytes(repo: Repo, documentId: DocumentId, bytes: Uint8Array): number {
  try {
    const incoming = A.load<unknown>(bytes)
    const held = repo.handles[documentId]
    const changes = held?.isReady() === true ? A.getChanges(held.doc() as A.Doc<unknown>, A.merge(A.clone(held.doc() as A.Doc<unknown>), incoming)) : A.getAllChanges(incoming)
    return changes.reduce((n, c) => n + c.byteLength, 0)
  } catch {
    return bytes.byteLength // verifyHostingRequest loaded it already; this is not expected
  }
}

/** A quota refusal as the answer to a hosting request (A33). */
function refusal_(r: QuotaRefusal): AccessError {
  return new AccessError(r.code, r.message)
}
