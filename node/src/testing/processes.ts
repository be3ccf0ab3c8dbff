import { fork, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildMessage, ParentMessage, PeerMainConfig, PeerReadyInfo } from './peer-context.js'
import type { Libp2pCommandTypes } from './peer-commands-libp2p.js'
import { CodedError } from '@quire/crdt'

export type { PeerMainConfig, PeerReadyInfo, PeerContext, CommandHandler, CommandModule } from './peer-context.js'
export { PeerCommandError } from './peer-context.js'
export { TEST_ECHO_PROTOCOL, type ConnectionReport, type Libp2pCommandTypes } from './peer-commands-libp2p.js'

/** The shape of a typed command table: command name to its params and result. */
export type CommandTypes = Record<string, { params: unknown; result: unknown }>

/** Commands known to every peer process; any other name is allowed and typed `unknown`. */
export type DefaultCommandTypes = Libp2pCommandTypes & CommandTypes

/** How a child process ended. */
export interface ProcessExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** Options of {@link startProcess}. */
export interface StartProcessOptions {
  /** Extra arguments after the script path. */
  args?: string[]
  /** Extra environment variables (merged over the parent's). */
  env?: Record<string, string>
  /** Prefix for the child's output lines in the test log; defaults to the script's file name. */
  name?: string
  /** How long to wait for the child's `ready` message (ms); default 30 s. */
  readyTimeout?: number
}

/** Thrown by {@link PeerProcess.request} when the child answers with an error, or does not answer. */
export class PeerProcessError extends CodedError<string> {}

/** What the registry needs of a started process. */
interface RunningProcess {
  readonly pid: number
  readonly name: string
  stop(graceMs?: number): Promise<ProcessExit>
}

const running = new Set<RunningProcess>()

// The parent may exit without running afterAll (a crash, a timeout): kill children synchronously so no
// peer outlives the test run. Children also exit when their IPC channel closes (see peer-main).
process.once('exit', () => {
  for (const p of running) {
    try { process.kill(p.pid, 'SIGKILL') } catch { /* already gone */ }
  }
})

/** A child process started by {@link startProcess}, spoken to with typed requests over IPC. */
export class PeerProcess<M extends CommandTypes = DefaultCommandTypes> {
  readonly pid: number
  readonly name: string
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>
  #child: ChildProcess
  #nextId = 1
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>()
  #exit: ProcessExit | undefined
  #ready: PeerReadyInfo | undefined

  /** @internal use {@link startProcess} */
  constructor(child: ChildProcess, name: string) {
    if (child.pid === undefined) throw new PeerProcessError('PROCESS_SPAWN_FAILED', `could not start ${name}`)
    this.pid = child.pid
    this.name = name
    this.#child = child
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal }
        running.delete(this)
        for (const [, p] of this.#pending) {
          clearTimeout(p.timer)
          p.reject(new PeerProcessError('PROCESS_EXITED', `${name} exited (code ${code}, signal ${signal}) before answering`))
        }
        this.#pending.clear()
        resolveExit({ code, signal })
      })
    })
    child.on('message', (raw) => this.#onMessage(raw as ChildMessage))
    running.add(this)
  }

  /** The `ready` report (peer id and listen addresses); set once the process is ready. */
  get info(): PeerReadyInfo {
    if (!this.#ready) throw new PeerProcessError('PROCESS_NOT_READY', `${this.name} has not reported ready`)
    return this.#ready
  }

  /** Whether the process has exited. */
  get hasExited(): boolean {
    return this.#exit !== undefined
  }

  /** @internal */
  waitReady(timeout: number): Promise<PeerReadyInfo> {
    return new Promise((resolveReady, rejectReady) => {
      const timer = setTimeout(() => rejectReady(new PeerProcessError('PROCESS_READY_TIMEOUT',
        `${this.name} did not report ready within ${timeout} ms; see its stderr above`)), timeout)
      const onMessage = (raw: unknown): void => {
        const msg = raw as ChildMessage
        if (msg.type !== 'ready') return
        clearTimeout(timer)
        this.#child.off('message', onMessage)
        resolveReady(msg.info)
      }
      this.#child.on('message', onMessage)
      void this.exited.then((e) => {
        clearTimeout(timer)
        rejectReady(new PeerProcessError('PROCESS_EXITED', `${this.name} exited (code ${e.code}, signal ${e.signal}) before it was ready; see its stderr above`))
      })
    })
  }

  /** Sends a command and waits for its result; rejects with the child's error code, or on timeout (default 30 s). */
  request<K extends keyof M & string>(command: K, params: M[K]['params'], options: { timeout?: number } = {}): Promise<M[K]['result']> {
    if (this.#exit) return Promise.reject(new PeerProcessError('PROCESS_EXITED', `${this.name} has exited`))
    const id = this.#nextId++
    const timeout = options.timeout ?? 30_000
    return new Promise((resolveReq, rejectReq) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        rejectReq(new PeerProcessError('REQUEST_TIMEOUT', `${this.name}: '${command}' got no answer within ${timeout} ms`))
      }, timeout)
      this.#pending.set(id, { resolve: resolveReq as (v: unknown) => void, reject: rejectReq, timer })
      const msg: ParentMessage = { type: 'request', id, command, params }
      this.#child.send(msg, (err) => {
        if (err && this.#pending.delete(id)) { clearTimeout(timer); rejectReq(err) }
      })
    })
  }

  /** Sends a signal (SIGKILL for crash tests) and resolves when the process has exited. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ProcessExit> {
    if (!this.#exit) {
      try { process.kill(this.pid, signal) } catch { /* exited meanwhile */ }
    }
    return this.exited
  }

  /** Clean stop: SIGTERM (the peer stops its node), then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 5_000): Promise<ProcessExit> {
    if (this.#exit) return this.#exit
    void this.kill('SIGTERM')
    const timer = setTimeout(() => void this.kill('SIGKILL'), graceMs)
    const exit = await this.exited
    clearTimeout(timer)
    return exit
  }

  #onMessage(msg: ChildMessage): void {
    if (msg.type === 'ready') { this.#ready = msg.info; return }
    if (msg.type !== 'response') return
    const pending = this.#pending.get(msg.id)
    if (!pending) return
    this.#pending.delete(msg.id)
    clearTimeout(pending.timer)
    if (msg.ok) pending.resolve(msg.result)
    else pending.reject(new PeerProcessError(msg.error.code, `${this.name}: ${msg.error.message}`))
  }
}

function pipeWithPrefix(stream: NodeJS.ReadableStream | null, prefix: string): void {
  if (!stream) return
  let buffered = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    buffered += chunk
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) process.stderr.write(`${prefix} ${line}\n`)
  })
  stream.on('end', () => { if (buffered) process.stderr.write(`${prefix} ${buffered}\n`) })
}

/**
 * Forks a compiled Node script (a `dist/` file: Node 20 cannot run TypeScript) with an IPC channel, streams
 * its stdout and stderr to this process's stderr with a `[name pid]` prefix, and resolves once the script
 * sends `{ type: 'ready' }`. The process is registered: {@link stopAllProcesses} stops it.
 */
export async function startProcess<M extends CommandTypes = DefaultCommandTypes>(script: string, options: StartProcessOptions = {}): Promise<PeerProcess<M>> {
  if (!existsSync(script)) {
    throw new PeerProcessError('PROCESS_SCRIPT_MISSING', `${script} does not exist: run \`npx tsc -b\` in the repository root first`)
  }
  // QUIRE_CPU_PROFILE_DIR=<dir>: every child writes a V8 CPU profile there when it exits (Node refuses
  // --cpu-prof in NODE_OPTIONS, so profiling a benchmark's relay needs it passed here).
  const profileDir = process.env['QUIRE_CPU_PROFILE_DIR']
  const child = fork(script, options.args ?? [], {
    env: { ...process.env, ...options.env },
    execArgv: [...process.execArgv, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
  })
  const base = options.name ?? script.split('/').pop() ?? 'child'
  const proc = new PeerProcess<M>(child, base)
  const prefix = `[${base} ${proc.pid}]`
  pipeWithPrefix(child.stdout, prefix)
  pipeWithPrefix(child.stderr, prefix)
  try {
    await proc.waitReady(options.readyTimeout ?? 30_000)
  } catch (err) {
    await proc.kill('SIGKILL')
    throw err
  }
  return proc
}

/** Path of the compiled generic peer process. */
export function peerMainPath(): string {
  // This file is src/testing/processes.ts under vitest and dist/testing/processes.js at run time: both are
  // two levels below the package root, and the child must always run the compiled file.
  const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
  return join(packageRoot, 'dist', 'testing', 'peer-main.js')
}

/** Starts the generic peer process (`peer-main.js`) with a config; resolves once it is listening. */
export function startPeer<M extends CommandTypes = DefaultCommandTypes>(config: PeerMainConfig, options: Omit<StartProcessOptions, 'args'> = {}): Promise<PeerProcess<M>> {
  return startProcess<M>(peerMainPath(), {
    ...options,
    name: options.name ?? config.role,
    env: { ...options.env, QUIRE_PEER_CONFIG: JSON.stringify(config) },
  })
}

/** Every process started and not yet exited, e.g. to assert that a test left none behind. */
export function runningProcesses(): ReadonlyArray<{ readonly pid: number; readonly name: string }> {
  return [...running]
}

/** Stops every started process (SIGTERM, then SIGKILL after `graceMs`). Call it in `afterAll`/`afterEach`. */
export async function stopAllProcesses(graceMs = 3_000): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(graceMs)))
}
