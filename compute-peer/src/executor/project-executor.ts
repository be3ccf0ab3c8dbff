/**
 * Everything one project needs from this compute peer: it serves the project only while the project's
 * grants give this peer the `compute` role (and the project names no other compute peer), discovers the
 * project's notebooks from its file tree (kind `notebook`) and keeps one `NotebookExecutor` per notebook.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { AutomergeUrl, DocHandle, DocumentId, Repo } from '@automerge/automerge-repo'
import { readProject, type NotebookDoc, type ProjectDoc } from '@quire/crdt'
import { canCompute, readProjectLinks, type Membership, type ProjectIndex } from '@quire/node'
import type { ProjectService, ProjectServiceFactory } from '../runtime/service.js'
import { NotebookExecutor } from './notebook-executor.js'
import type { ExecutorEnvironment } from './types.js'

/** Options of {@link ProjectExecutor}. */
export interface ProjectExecutorInit {
  readonly repo: Repo
  readonly index: ProjectIndex
  readonly project: DocumentId
  /** The project owner's peer id, when the operator pinned it; else the project document's word is trusted on first sight. */
  readonly owner?: string
  /**
   * Peers treated as readers until this peer has the project's grants document (the relays it bootstraps
   * from): without them it could not fetch the project from anyone but its owner.
   */
  readonly provisionalReaders?: readonly string[]
  readonly env: ExecutorEnvironment
  /** Projects' working directories are made under this directory, one per project id. */
  readonly workRoot: string
  /** Whether this compute peer lets kernels use the network at all (a project must also turn it on). */
  readonly networkAllowed: boolean
  /** How often the grants are checked for a change of this peer's role, ms. Default 1000. */
  readonly checkMs?: number
  /** Services started while the project is served (the workspace, ...); see `runtime/service.ts`. */
  readonly services?: readonly ProjectServiceFactory[]
  /** Services keep their per-project state under `<stateRoot>/<service>/<project id>`. Default `<workRoot>/../services`. */
  readonly stateRoot?: string
  /** Makes the project's workspace directory (a BTRFS subvolume where snapshots use BTRFS, N1). Default: mkdir. */
  readonly prepareWorkdir?: (dir: string) => Promise<void>
}

/** Why the project is not served, as logged and reported. */
export type ProjectRefusal = 'NOT_GRANTED' | 'OTHER_COMPUTE_PEER' | 'PROJECT_UNAVAILABLE'

export class ProjectExecutor {
  readonly #init: ProjectExecutorInit
  readonly #notebooks = new Map<DocumentId, NotebookExecutor>()
  readonly #pending = new Set<DocumentId>()
  #services: ProjectService[] = []
  #servicesAbort: AbortController | undefined
  #project: DocHandle<ProjectDoc> | undefined
  #serving = false
  #refusal: ProjectRefusal | undefined
  #timer: ReturnType<typeof setInterval> | undefined
  #checking: Promise<void> = Promise.resolve()
  #stopped = false
  readonly #onProjectChange = (): void => this.#check()

  constructor(init: ProjectExecutorInit) {
    this.#init = init
  }

  get serving(): boolean {
    return this.#serving
  }

  /** Why the project is not served now, if it is not. */
  get refusal(): ProjectRefusal | undefined {
    return this.#refusal
  }

  get notebooks(): ReadonlyMap<DocumentId, NotebookExecutor> {
    return this.#notebooks
  }

  /** The services running for the project now. */
  get services(): readonly ProjectService[] {
    return this.#services
  }

  get workdir(): string {
    return join(this.#init.workRoot, this.#init.project)
  }

  async start(): Promise<void> {
    if (this.#init.prepareWorkdir !== undefined) await this.#init.prepareWorkdir(this.workdir)
    else await mkdir(this.workdir, { recursive: true, mode: 0o700 })
    await this.#init.index.track(this.#init.project, {
      ...(this.#init.owner !== undefined && { owner: this.#init.owner }),
      provisionalReaders: this.#init.provisionalReaders ?? [],
    })
    const handle = await this.#init.repo.find<ProjectDoc>(this.#init.project, { allowableStates: ['ready', 'unavailable', 'requesting'] }).catch(() => undefined)
    if (this.#stopped || handle === undefined) return
    this.#project = handle
    handle.on('change', this.#onProjectChange)
    this.#timer = setInterval(() => this.#check(), this.#init.checkMs ?? 1000)
    this.#timer.unref?.()
    this.#check()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#project?.off('change', this.#onProjectChange)
    await this.#checking
    await this.#unserve()
  }

  /** Resolves once the latest check (grants, file tree) is done (for tests). */
  settled(): Promise<void> {
    return this.#checking
  }

  #check(): void {
    this.#checking = this.#checking.then(() => this.#reconcile()).catch((err: unknown) => this.#log(`check failed: ${(err as Error).message}`))
  }

  async #reconcile(): Promise<void> {
    const handle = this.#project
    if (this.#stopped || handle === undefined) return
    const refusal = handle.isReady() ? await this.#refusalNow(handle) : 'PROJECT_UNAVAILABLE'
    if (refusal !== this.#refusal) this.#explain(refusal)
    this.#refusal = refusal
    if (refusal !== undefined) {
      if (this.#serving) await this.#unserve()
      return
    }
    if (!this.#serving) {
      this.#serving = true
      await this.#startServices()
    }
    await this.#syncNotebooks(handle)
  }

  async #refusalNow(handle: DocHandle<ProjectDoc>): Promise<ProjectRefusal | undefined> {
    const membership = await this.#membership()
    if (membership === undefined || !canCompute(membership, this.#init.env.peerId)) return 'NOT_GRANTED'
    const read = readProject(handle.doc())
    const assigned = read.ok ? read.value.settings.computePeer : null
    if (assigned !== null && assigned !== this.#init.env.peerId) return 'OTHER_COMPUTE_PEER'
    return undefined
  }

  #explain(refusal: ProjectRefusal | undefined): void {
    const { project, env } = this.#init
    if (refusal === undefined) this.#log(`serving project ${project}`)
    else if (refusal === 'NOT_GRANTED') this.#log(`not serving project ${project}: its grants do not give this compute peer the compute role; an admin of the project can grant role "compute" to ${env.peerId}`)
    else if (refusal === 'OTHER_COMPUTE_PEER') this.#log(`not serving project ${project}: its settings name another compute peer; an admin can set the compute peer to ${env.peerId}`)
    else this.#log(`waiting for project ${project}: no connected peer has sent its project document yet`)
  }

  async #membership(): Promise<Membership | undefined> {
    return this.#init.index.membership(this.#init.project, Date.now())?.catch(() => undefined)
  }

  /**
   * Is `peer` one of the project's people now (reader, writer, admin or the owner)? Not its relays or compute
   * peers: they hold the documents, but a terminal's screen or a snapshot's files (`.git/`, data files never
   * in a document) are for the people (R1).
   */
  readonly #isPerson = async (peer: string): Promise<boolean> => {
    const roles = (await this.#membership())?.members.get(peer)?.roles ?? []
    return roles.some((r) => r === 'reader' || r === 'writer' || r === 'admin')
  }

  /** May `peer` have code run: a writer (or admin, or the owner) of the project right now. */
  readonly #isWriter = async (peer: string): Promise<boolean> => {
    const member = (await this.#membership())?.members.get(peer)
    return member !== undefined && (member.roles.includes('writer') || member.roles.includes('admin'))
  }

  #network(): boolean {
    if (!this.#init.networkAllowed || this.#project === undefined || !this.#project.isReady()) return false
    const read = readProject(this.#project.doc())
    return read.ok && read.value.settings.networkAccess
  }

  async #syncNotebooks(handle: DocHandle<ProjectDoc>): Promise<void> {
    const wanted = readProjectLinks(handle.doc()).notebooks
    for (const [id, executor] of this.#notebooks) {
      if (wanted.has(id)) continue
      this.#notebooks.delete(id)
      await executor.stop()
    }
    for (const [id, url] of wanted) {
      if (this.#notebooks.has(id) || this.#pending.has(id)) continue
      this.#pending.add(id)
      // Not awaited: a notebook no peer has sent yet must not hold up the others.
      void this.#open(id, url)
        .catch((err: unknown) => this.#log(`notebook ${id} is not available yet (${(err as Error).message}); retrying on the next check`))
        .finally(() => this.#pending.delete(id))
    }
  }

  async #open(id: DocumentId, url: AutomergeUrl): Promise<void> {
    const handle = await this.#init.repo.find<NotebookDoc>(url, { allowableStates: ['ready', 'unavailable', 'requesting'] }).catch(() => undefined)
    if (handle === undefined) return
    await handle.whenReady()
    if (this.#stopped || !this.#serving || this.#notebooks.has(id)) return
    const executor = new NotebookExecutor({
      env: this.#init.env, handle, workdir: this.workdir,
      network: () => this.#network(),
      isWriter: this.#isWriter,
      persist: () => this.#init.repo.flush([handle.documentId]),
    })
    this.#notebooks.set(id, executor)
    executor.start()
  }

  async #unserve(): Promise<void> {
    this.#serving = false
    const executors = [...this.#notebooks.values()]
    this.#notebooks.clear()
    this.#servicesAbort?.abort()
    const services = this.#services
    this.#services = []
    await Promise.all([
      ...executors.map((e) => e.stop()),
      ...services.map((s) => s.stop().catch((err: unknown) => this.#log(`stopping ${s.name} of ${this.#init.project}: ${(err as Error).message}`))),
    ])
  }

  async #startServices(): Promise<void> {
    const { project, repo, env } = this.#init
    const abort = new AbortController()
    this.#servicesAbort = abort
    const stateRoot = this.#init.stateRoot ?? join(this.#init.workRoot, '..', 'services')
    const context = {
      project, repo, workdir: this.workdir, peerId: env.peerId, signal: abort.signal,
      stateDir: (service: string) => join(stateRoot, service, project),
      network: () => this.#network(),
      isWriter: this.#isWriter,
      canRead: this.#isPerson,
      log: (line: string) => this.#log(line),
    }
    for (const factory of this.#init.services ?? []) {
      try {
        const service = await factory(context)
        if (abort.signal.aborted) await service.stop()
        else this.#services.push(service)
      } catch (err) {
        this.#log(`a service of project ${project} could not start: ${(err as Error).message}`)
      }
    }
  }

  #log(line: string): void {
    this.#init.env.log(`[compute] ${line}`)
  }
}
