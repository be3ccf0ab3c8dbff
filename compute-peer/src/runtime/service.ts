/**
 * The contract between a project's runtime (today `ProjectExecutor`: grants, the file tree, the project's
 * lifecycle) and the services it runs for the project while this compute peer serves it: the workspace
 * runner now, terminals, LaTeX builds and snapshots next. A service is started when the project starts
 * being served and stopped (its signal aborted first) when it stops: a revoked grant, another compute peer
 * named in the settings, the daemon shutting down. Adding a service is one factory in the daemon's list.
 */
import type { DocumentId, Repo } from '@automerge/automerge-repo'

/** What a service gets from the project's runtime. */
export interface ProjectServiceContext {
  readonly project: DocumentId
  /** The compute peer's repo: the project's documents are read and written through it. */
  readonly repo: Repo
  /** The project's workspace directory on the host: the working directory of everything run for it. */
  readonly workdir: string
  /** A directory of `service`'s own for this project, outside the workspace (created on first use). */
  stateDir(service: string): string
  /** The compute peer's libp2p peer id. */
  readonly peerId: string
  /** Whether code run for the project may use the network now (the operator allows it and the project asks). */
  network(): boolean
  /** Whether `peer` may act in the project now (writer, admin or owner), from the current grants. */
  isWriter(peer: string): Promise<boolean>
  /**
   * Whether `peer` is one of the project's people now (reader, writer, admin or owner): what may watch its
   * terminals and browse its snapshots. Its relays and compute peers are not, though they hold its documents.
   */
  canRead(peer: string): Promise<boolean>
  /** Aborted when the project stops being served, before `stop()` is called. */
  readonly signal: AbortSignal
  readonly log: (line: string) => void
}

/** How a service is doing, for logs, metrics and the project's status. */
export interface ServiceHealth {
  readonly state: 'starting' | 'ok' | 'degraded' | 'stopped'
  readonly detail?: string
}

/** One running service of one project. */
export interface ProjectService {
  readonly name: string
  health(): ServiceHealth
  /** Stops everything the service started; resolves when it is gone. */
  stop(): Promise<void>
}

/** Makes (and starts) a service for a project. A throw is logged; the project is served without it. */
export type ProjectServiceFactory = (context: ProjectServiceContext) => Promise<ProjectService>
