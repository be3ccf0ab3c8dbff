/**
 * Projects a compute peer learns of at run time (A34): the same `/quire/host/1.0.0` request an admin sends
 * a relay (A33), answered for the `compute` role. A compute peer started by `npm start` is granted the
 * compute role by the web app on every project created there, and cannot be told each project's id on its
 * command line; so an admin hands it the project and grants documents, it checks them in memory, and only
 * when they give its own peer id the compute role (through a chain to the owner) and the requester is an
 * admin does it store them, remember the project in its database and start serving it exactly as
 * `--project` does. A refusal stores nothing.
 */
import { next as A } from '@automerge/automerge'
import type { DocumentId, Repo } from '@automerge/automerge-repo'
import type { LevelDatabase } from '@quire/crdt'
import { AccessError, canAdmin, canCompute, computeMembership, isEd25519PeerId, readProjectLinks, type HostingRequest, type ProjectIndex } from '@quire/node'

interface StoredProject {
  owner: string
  since: number
}

const JSON_VALUES = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const
// classic-level honours `sync`; abstract-level's put options do not declare it.
const SYNC_WRITE: { sync: boolean } = { sync: true }

/** Options of {@link ComputeHosting.open}. */
export interface ComputeHostingInit {
  /** The compute peer's database; accepted projects live in its sublevel `compute-projects`. */
  readonly db: LevelDatabase
  readonly repo: Repo
  readonly index: ProjectIndex
  /** This compute peer's id: the subject its `compute` grant must name. */
  readonly self: string
  /** Whether a project is served already (from `--project`, or accepted before). */
  readonly serving: (project: DocumentId) => boolean
  /** Starts serving a project, with its owner pinned from the verified grants. */
  readonly serve: (project: DocumentId, owner: string) => Promise<void>
  readonly now?: () => number
  readonly log: (line: string) => void
}

/** See the module comment. */
export class ComputeHosting {
  readonly #init: ComputeHostingInit
  readonly #db: LevelDatabase
  readonly #projects = new Map<DocumentId, StoredProject>()
  /** One request at a time: two concurrent ones for the same project would start it twice. */
  #queue: Promise<unknown> = Promise.resolve()

  private constructor(init: ComputeHostingInit) {
    this.#init = init
    this.#db = init.db.sublevel('compute-projects', JSON_VALUES)
  }

  /** Reads the projects accepted in earlier runs. */
  static async open(init: ComputeHostingInit): Promise<ComputeHosting> {
    const hosting = new ComputeHosting(init)
    for await (const [key, value] of hosting.#db.iterator(JSON_VALUES)) {
      try {
        const stored = JSON.parse(value as string) as StoredProject
        if (isEd25519PeerId(stored.owner)) hosting.#projects.set(key as DocumentId, stored)
      } catch {
        // A damaged entry forgets that project; an admin's app asks again.
      }
    }
    return hosting
  }

  /** Projects accepted over the protocol (now or in an earlier run), with their pinned owners. */
  get accepted(): ReadonlyArray<{ project: DocumentId; owner: string }> {
    return [...this.#projects].map(([project, s]) => ({ project, owner: s.owner }))
  }

  /** Handles one `/quire/host/1.0.0` request from `from`; throws an `AccessError` to refuse. */
  register(request: HostingRequest, from: string): Promise<void> {
    const run = this.#queue.then(() => this.#register(request, from))
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #register(request: HostingRequest, from: string): Promise<void> {
    const { repo, index, self } = this.#init
    const { project } = request
    let grantsDoc: A.Doc<unknown>
    let links: ReturnType<typeof readProjectLinks>
    try {
      links = readProjectLinks(A.load(request.projectDoc))
      grantsDoc = A.load(request.grantsDoc)
    } catch (cause) {
      throw new AccessError('HOST_REQUEST_INVALID', `The documents do not load as Automerge documents: ${(cause as Error).message}.`, { cause })
    }
    const pinnedGrants = index.grantsOf(project)
    const grantsId = pinnedGrants ?? links.grants
    if (grantsId === null) throw new AccessError('HOST_REQUEST_INVALID', `Document ${project} is not a project document with a grants document.`)
    if (links.grants !== null && links.grants !== grantsId) {
      throw new AccessError('HOST_REQUEST_INVALID', `This compute peer knows ${grantsId} as the grants document of ${project}, not ${links.grants}.`)
    }
    // An owner pinned earlier (by --project, or by an accepted request) wins over the document's word.
    const owner = this.#projects.get(project)?.owner ?? index.ownerOf(project) ?? links.owner
    if (!isEd25519PeerId(owner)) throw new AccessError('HOST_REQUEST_INVALID', 'The project document names no owner (an Ed25519 peer id).')
    // Grants this peer holds count too, so a request can bring a new grant but never undo a revocation.
    const held = pinnedGrants === undefined ? undefined : repo.handles[pinnedGrants]
    const merged = held?.isReady() === true ? A.merge(A.clone(held.doc() as A.Doc<unknown>), grantsDoc) : grantsDoc
    const membership = await computeMembership(merged, { now: (this.#init.now ?? Date.now)(), owner, project })
    if (!canAdmin(membership, from)) {
      throw new AccessError('NOT_ADMIN', `${from} is not an admin of project ${project}: only its owner or an admin can ask a compute peer to serve it.`)
    }
    const served = this.#init.serving(project)
    if (!canCompute(membership, self)) {
      // A project served so far takes the admin's grants anyway: that is how a revocation reaches this
      // peer, whose executor then stops serving the project.
      if (served) {
        this.#import(grantsId, request.grantsDoc)
        await index.settled()
      }
      throw new AccessError('HOST_NOT_GRANTED', `Project ${project} does not grant this compute peer (${self}) the compute role: grant it (role "compute" for ${self}) and ask again.`)
    }
    if (!this.#projects.has(project) && !served) {
      const stored: StoredProject = { owner, since: Date.now() }
      await this.#db.put(project, JSON.stringify(stored), { ...JSON_VALUES, ...SYNC_WRITE })
      this.#projects.set(project, stored)
    }
    this.#import(project, request.projectDoc)
    this.#import(grantsId, request.grantsDoc)
    if (!served) await this.#init.serve(project, owner)
    await index.settled()
    this.#init.log(`${served ? 'updated' : 'now serving'} project ${project} (owner ${owner}), asked by ${from}`)
  }

  #import(documentId: DocumentId, bytes: Uint8Array): void {
    // Merged into the loaded handle when there is one (a project waiting for its documents included).
    const handle = this.#init.repo.import(bytes, { docId: documentId })
    handle.doneLoading()
  }
}
