/**
 * Projects a compute peer learns of at run time (A34): the same `/quire/host/1.0.0` request an admin sends
 * a relay (A33), answered for the `compute` role. A compute peer started by `npm start` is granted the
 * compute role by the web app on every project created there, and cannot be told each project's id on its
 * command line; so an admin hands it the project and grants documents, it checks them in memory, and only
 * when they give its own peer id the compute role (through a chain to the owner) and the requester is an
 * admin does it store them, remember the project in its database and start serving it exactly as
 * `--project` does. A refusal stores nothing.
 */
import type { DocumentId, Repo } from '@automerge/automerge-repo'
import type { LevelDatabase } from '@quire/crdt'
import { AcceptedProjects, verifyHostingRequest, type HostingRequest, type ProjectIndex } from '@quire/node'

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
  readonly #projects: AcceptedProjects
  /** One request at a time: two concurrent ones for the same project would start it twice. */
  #queue: Promise<unknown> = Promise.resolve()

  private constructor(init: ComputeHostingInit, projects: AcceptedProjects) {
    this.#init = init
    this.#projects = projects
  }

  /** Reads the projects accepted in earlier runs. */
  static async open(init: ComputeHostingInit): Promise<ComputeHosting> {
    return new ComputeHosting(init, await AcceptedProjects.open(init.db, 'compute-projects'))
  }

  /** Projects accepted over the protocol (now or in an earlier run), with their pinned owners. */
  get accepted(): ReadonlyArray<{ project: DocumentId; owner: string }> {
    return [...this.#projects.entries()].map(([project, s]) => ({ project, owner: s.owner }))
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
    const { owner, grantsId } = await verifyHostingRequest(request, {
      from, self, role: 'compute', index, repo, now: (this.#init.now ?? Date.now)(),
      // An owner pinned earlier (by --project, or by an accepted request) wins over the document's word.
      owner: this.#projects.get(project)?.owner ?? index.ownerOf(project),
      // A project served so far takes the admin's grants anyway: that is how a revocation reaches this
      // peer, whose executor then stops serving the project.
      onNotGranted: async (grantsId) => {
        if (!this.#init.serving(project)) return
        this.#import(grantsId, request.grantsDoc)
        await index.settled()
      },
    })
    const served = this.#init.serving(project)
    if (!served) await this.#projects.add(project, owner)
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
