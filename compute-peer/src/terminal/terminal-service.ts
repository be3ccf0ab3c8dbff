/**
 * Terminals as a project service (T1): a project's named terminals while the compute peer serves it, all
 * killed when it stops serving. The daemon's one `/quire/pty/1.0.0` handler finds a project's terminals in
 * the {@link TerminalRegistry}.
 */
import { randomBytes } from 'node:crypto'
import { PtyProtocolError } from '@quire/node'
import type { KernelLimits } from '../kernel/types.js'
import type { ProjectServiceContext, ProjectServiceFactory } from '../runtime/service.js'
import type { SandboxHost } from '../sandbox/capabilities.js'
import { TerminalSession } from './session.js'

/** Terminals one project may have at once. */
export const MAX_TERMINALS_PER_PROJECT = 16

export interface TerminalServiceInit {
  readonly host: SandboxHost
  readonly registry: TerminalRegistry
  /** The kernels' limits; terminals get the same memory, process, file size and CPU share limits (T2). */
  readonly limits: KernelLimits
  /** A terminal nobody views is closed after this long (T13). */
  readonly idleMs: number
  /** The shell and its arguments. Default `/bin/bash -l`. */
  readonly shell?: readonly string[]
  readonly unsafeNoSandbox?: boolean
}

/** One project's terminals. */
export class ProjectTerminals {
  readonly ctx: ProjectServiceContext
  readonly #init: TerminalServiceInit
  readonly #sessions = new Map<string, TerminalSession>()
  readonly #listeners = new Set<() => void>()
  #stopped = false

  constructor(ctx: ProjectServiceContext, init: TerminalServiceInit) {
    this.ctx = ctx
    this.#init = init
  }

  get sessions(): ReadonlyMap<string, TerminalSession> {
    return this.#sessions
  }

  /** Whether the compute peer has stopped serving the project (its terminals are gone). */
  get stopped(): boolean {
    return this.#stopped
  }

  /**
   * Calls `listener` after every change to what the list shows (T20): a terminal opened, closed or exited, a
   * viewer came or went, a size or a role changed; and once when the project stops being served.
   */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #changed(): void {
    for (const listener of this.#listeners) listener()
  }

  async open(name: string, createdBy: string, cols: number, rows: number): Promise<TerminalSession> {
    if (this.#stopped) throw new PtyProtocolError('PTY_NOT_SERVED', 'this compute peer is no longer serving the project')
    if (this.#sessions.size >= MAX_TERMINALS_PER_PROJECT) {
      throw new PtyProtocolError('PTY_TOO_MANY_TERMINALS', `the project has ${this.#sessions.size} terminals, the most this compute peer runs for one project; close one first`)
    }
    const id = randomBytes(6).toString('hex')
    const network = this.ctx.network()
    try {
      const session = await TerminalSession.start({
        id, name, createdBy, cols, rows, network,
        shell: this.#init.shell ?? ['/bin/bash', '-l'],
        workdir: this.ctx.workdir,
        limits: this.#init.limits,
        host: this.#init.host,
        idleMs: this.#init.idleMs,
        log: this.ctx.log,
        onGone: () => {
          this.#sessions.delete(id)
          this.#changed()
        },
        onChange: () => this.#changed(),
        ...(this.#init.unsafeNoSandbox === true && { unsafeNoSandbox: true }),
      })
      this.#sessions.set(id, session)
      this.#changed()
      this.ctx.log(`terminal ${id} (${name}) opened by ${createdBy} in project ${this.ctx.project}${network ? ' with network access' : ''}`)
      return session
    } catch (err) {
      throw new PtyProtocolError('PTY_START_FAILED', `could not start the terminal: ${(err as Error).message}`)
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    await Promise.all([...this.#sessions.values()].map((s) => s.close('the compute peer stopped serving the project')))
    this.#changed()
  }
}

/** The projects whose terminals this daemon runs now, by project id. */
export class TerminalRegistry {
  readonly #projects = new Map<string, ProjectTerminals>()

  get(project: string): ProjectTerminals | undefined {
    return this.#projects.get(project)
  }

  add(terminals: ProjectTerminals): void {
    this.#projects.set(terminals.ctx.project, terminals)
  }

  remove(terminals: ProjectTerminals): void {
    if (this.#projects.get(terminals.ctx.project) === terminals) this.#projects.delete(terminals.ctx.project)
  }

  all(): ProjectTerminals[] {
    return [...this.#projects.values()]
  }
}

export function terminalService(init: TerminalServiceInit): ProjectServiceFactory {
  return async (ctx) => {
    const terminals = new ProjectTerminals(ctx, init)
    init.registry.add(terminals)
    return {
      name: 'terminals',
      health: () => ({ state: 'ok', detail: `${terminals.sessions.size} terminals` }),
      async stop() {
        init.registry.remove(terminals)
        await terminals.stop()
      },
    }
  }
}
