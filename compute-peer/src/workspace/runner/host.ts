/**
 * The compute peer's side of a workspace runner (W31): starts the runner in the project's sandbox, connects
 * its repo to ours over the pipe, answers its blob requests, keeps its status, and starts it again (with a
 * growing pause) when it dies. What the runner may see of our repo is decided by the share config the
 * daemon gives its peer id: only the project's documents (see `workspaceAccess`).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { DocumentId, Repo } from '@automerge/automerge-repo'
import { stringifyAutomergeUrl } from '@automerge/automerge-repo'
import { FrameChannel } from '../../pipe/frame-channel.js'
import { PipeRepoAdapter } from '../../pipe/pipe-repo-adapter.js'
import { SANDBOX_IPC_DIR, baseSandboxEnv } from '../../sandbox/bwrap-args.js'
import type { SandboxHost } from '../../sandbox/capabilities.js'
import { programDirs } from '../../sandbox/program-dirs.js'
import { SandboxedProcess } from '../../sandbox/sandboxed-process.js'
import type { WorkspaceBlobs, WorkspaceLimits, WorkspaceStatus, WorkspaceTiming } from '../types.js'
import { checkRunnerFrame, type HostFrame, type RunnerConfig } from './protocol.js'

/** Frames on the runner's pipe are at most this large, so a blob put is too (files above stay on disk only). */
export const RUNNER_MAX_FRAME_BYTES = 64 * 1024 * 1024
const RUNNER_MAX_FILE_BYTES = 48 * 1024 * 1024
/** The runner is a Node process with a watcher: threads count as processes in the pids cgroup. */
const RUNNER_LIMITS = { memoryBytes: 1024 * 1024 * 1024, processes: 256 }
const RESTART_MS = [1000, 2000, 5000, 10_000, 30_000]

/** The repo peer id of the workspace runner of `project`; nothing else may use it. */
export function runnerPeerId(project: DocumentId): string {
  return `quire-workspace-${project}`
}

export interface WorkspaceRunnerInit {
  readonly repo: Repo
  readonly project: DocumentId
  /** The workspace directory on the host. */
  readonly dir: string
  /** A directory of the runner's own (its records); not the workspace, not shared with kernels. */
  readonly stateDir: string
  readonly blobs: WorkspaceBlobs
  /** The compute peer's libp2p id. */
  readonly peerId: string
  readonly host: SandboxHost
  readonly unsafeNoSandbox?: boolean
  readonly limits?: Partial<WorkspaceLimits>
  readonly timing?: Partial<WorkspaceTiming>
  readonly log: (line: string) => void
}

interface Run {
  readonly process: SandboxedProcess
  readonly channel: FrameChannel
  readonly adapter: PipeRepoAdapter
}

export class WorkspaceRunner {
  readonly #init: WorkspaceRunnerInit
  readonly #self: string
  readonly #flushes = new Map<number, () => void>()
  readonly #listeners = new Set<(status: WorkspaceStatus) => void>()
  #run: Run | undefined
  #status: WorkspaceStatus = { state: 'starting', pending: 0, problems: [] }
  #failures = 0
  #restart: NodeJS.Timeout | undefined
  #nextFlush = 1
  #stopped = false
  /** Runs started (tests read it to see a restart). */
  starts = 0

  constructor(init: WorkspaceRunnerInit) {
    this.#init = init
    this.#self = runnerPeerId(init.project)
  }

  get status(): WorkspaceStatus {
    return this.#status
  }

  /** The runner's process, while it runs (tests kill it). */
  get process(): SandboxedProcess | undefined {
    return this.#run?.process
  }

  onStatus(listener: (status: WorkspaceStatus) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async start(): Promise<void> {
    await mkdir(this.#init.dir, { recursive: true, mode: 0o700 })
    await mkdir(this.#init.stateDir, { recursive: true, mode: 0o700 })
    await this.#spawn()
  }

  /** Asks the runner to read every disk event now and write documents out; resolves when it has (or is gone). */
  flush(): Promise<void> {
    const run = this.#run
    if (run === undefined) return Promise.resolve()
    const id = this.#nextFlush++
    return new Promise((resolve) => {
      this.#flushes.set(id, resolve)
      if (!run.channel.send({ t: 'flush', id } satisfies HostFrame)) this.#settleFlushes()
    })
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#restart)
    const run = this.#run
    if (run === undefined) return
    run.channel.send({ t: 'stop' } satisfies HostFrame)
    const exited = await Promise.race([run.process.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))])
    if (!exited) await run.process.kill()
    await run.process.dispose()
    this.#setStatus({ state: 'stopped', pending: 0, problems: [] })
  }

  async #spawn(): Promise<void> {
    const { main, dirs } = programDirs('workspace/runner/main.js')
    const sandboxed = this.#init.host.bwrap !== undefined && !this.#init.unsafeNoSandbox
    const config: RunnerConfig = {
      project: stringifyAutomergeUrl(this.#init.project),
      dir: this.#init.dir,
      stateFile: join(sandboxed ? SANDBOX_IPC_DIR : this.#init.stateDir, 'records.json'),
      self: this.#self,
      remote: this.#init.repo.peerId,
      createdBy: this.#init.peerId,
      maxFrameBytes: RUNNER_MAX_FRAME_BYTES,
      limits: { maxFileBytes: RUNNER_MAX_FILE_BYTES, ...this.#init.limits },
      ...(this.#init.timing !== undefined && { timing: this.#init.timing }),
    }
    this.starts++
    const child = await SandboxedProcess.spawn({
      id: `w${this.#init.project.slice(0, 12)}-${this.starts}`,
      argv: [process.execPath, main, JSON.stringify(config)],
      workdir: this.#init.dir,
      ...(sandboxed ? { ipcDir: this.#init.stateDir } : { writable: [this.#init.stateDir] }),
      readOnly: dirs,
      network: false,
      env: { ...baseSandboxEnv(), NODE_ENV: 'production' },
      host: this.#init.host,
      limits: RUNNER_LIMITS,
      pipes: true,
      ...(this.#init.unsafeNoSandbox === true && { unsafeNoSandbox: true }),
    })
    const adapter = new PipeRepoAdapter({
      remote: this.#self,
      send: (frame) => channel.send(frame),
      onInvalid: (why) => this.#refuse(run, `an invalid repo message (${why})`),
    })
    const channel = new FrameChannel({
      input: child.stdout!, output: child.stdin!, maxFrameBytes: RUNNER_MAX_FRAME_BYTES,
      onFrame: (value) => this.#onFrame(run, value),
      onClose: (error) => {
        if (error !== undefined) this.#init.log(`workspace runner of ${this.#init.project}: ${error.code}: ${error.message}; stopping it`)
        void run.process.kill()
      },
    })
    const run: Run = { process: child, channel, adapter }
    this.#run = run
    this.#init.repo.networkSubsystem.addNetworkAdapter(adapter)
    void child.exited.then((exit) => this.#onExit(run, exit.reason))
  }

  #onFrame(run: Run, value: unknown): void {
    const kind = (value as { t?: unknown } | null)?.t
    if (kind === 'hello' || kind === 'repo') return run.adapter.receive(value as { t: unknown })
    const frame = checkRunnerFrame(value)
    if (frame === undefined) return this.#refuse(run, 'a frame that is not part of the runner protocol')
    switch (frame.t) {
      case 'log':
        return this.#init.log(`workspace ${this.#init.project}: ${frame.line}`)
      case 'status':
        this.#failures = 0
        return this.#setStatus(frame.status)
      case 'flushed':
        this.#flushes.get(frame.id)?.()
        this.#flushes.delete(frame.id)
        return
      case 'blob-get':
        void this.#blob(frame.hash, frame.fetch).then((bytes) => run.channel.send({ t: 'blob', id: frame.id, bytes: bytes ?? null } satisfies HostFrame))
        return
      case 'blob-put':
        void this.#init.blobs.put(frame.bytes).then((hash) => hash, () => null)
          .then((hash) => run.channel.send({ t: 'blob-stored', id: frame.id, hash } satisfies HostFrame))
    }
  }

  async #blob(hash: string, fetch: boolean): Promise<Uint8Array | undefined> {
    const { blobs } = this.#init
    const local = await blobs.get(hash).catch(() => undefined)
    if (local !== undefined || !fetch || blobs.fetch === undefined) return local
    return blobs.fetch(hash, AbortSignal.timeout(30_000)).catch(() => undefined)
  }

  #refuse(run: Run, what: string): void {
    this.#init.log(`workspace runner of ${this.#init.project} sent ${what}; stopping it (WORKSPACE_RUNNER_PROTOCOL)`)
    run.channel.close()
    void run.process.kill()
  }

  #onExit(run: Run, reason: string): void {
    run.channel.close()
    run.adapter.close()
    this.#init.repo.networkSubsystem.removeNetworkAdapter(run.adapter)
    this.#settleFlushes()
    void run.process.dispose()
    if (this.#run === run) this.#run = undefined
    if (this.#stopped) return
    const tail = run.process.output.trim().split('\n').slice(-3).join(' | ')
    this.#scheduleRestart(`${reason}${tail ? ` (${tail})` : ''}`)
  }

  #scheduleRestart(why: string): void {
    const wait = RESTART_MS[Math.min(this.#failures, RESTART_MS.length - 1)]!
    this.#failures++
    this.#init.log(`workspace runner of ${this.#init.project} ${why}; starting it again in ${wait / 1000} s`)
    this.#setStatus({ state: 'starting', pending: 0, problems: [] })
    this.#restart = setTimeout(() => {
      if (this.#stopped) return
      this.#spawn().catch((err: unknown) => this.#scheduleRestart(`could not start: ${(err as Error).message}`))
    }, wait)
  }

  #settleFlushes(): void {
    for (const resolve of this.#flushes.values()) resolve()
    this.#flushes.clear()
  }

  #setStatus(status: WorkspaceStatus): void {
    this.#status = status
    for (const listener of this.#listeners) listener(status)
  }
}
