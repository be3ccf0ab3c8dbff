import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

/** What a daemon announces once it listens: the `{"event":"ready",...}` line both daemons print on stdout. */
export interface ReadyInfo {
  peerId: string
  addresses: string[]
  httpUrls: string[]
  pid: number
}

export interface ManagedChildInit {
  /** Shown in log prefixes and messages: `relay`, `compute`. */
  name: string
  command: string
  args: readonly string[]
  cwd: string
  env?: NodeJS.ProcessEnv
  /** Every output line that is not the ready announcement. */
  onLine: (stream: 'stdout' | 'stderr', line: string) => void
}

/** How a child ended. */
export interface ChildExit {
  code: number | null
  signal: NodeJS.Signals | null
  /** True when {@link ManagedChild.stop} asked for it. */
  requested: boolean
}

const KEEP_LINES = 20

/**
 * One daemon process of the local network. It runs in its own process group, so stopping it also stops
 * what it started (kernels, terminals) and a Ctrl-C in the terminal reaches only the launcher, which
 * stops children in order. An IPC channel is open too: both daemons stop when it closes, so they do not
 * outlive a launcher that was killed with SIGKILL.
 */
export class ManagedChild {
  readonly name: string
  #init: ManagedChildInit
  #proc: ChildProcess | undefined
  #stopping = false
  #exited: Promise<ChildExit> | undefined
  #ready: Promise<ReadyInfo> | undefined
  #lastLines: string[] = []

  constructor(init: ManagedChildInit) {
    this.name = init.name
    this.#init = init
  }

  get pid(): number | undefined {
    return this.#proc?.pid
  }

  /** The last lines it wrote, for a message when it fails. */
  get lastLines(): readonly string[] {
    return this.#lastLines
  }

  /** Starts the process; `ready` resolves when it announces itself, `exited` when it ends. */
  start(): { ready: Promise<ReadyInfo>; exited: Promise<ChildExit> } {
    this.#stopping = false
    this.#lastLines = []
    const proc = spawn(process.execPath, [this.#init.command, ...this.#init.args], {
      cwd: this.#init.cwd,
      env: this.#init.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    })
    this.#proc = proc
    let announce: (info: ReadyInfo) => void = () => {}
    const ready = new Promise<ReadyInfo>((resolve) => { announce = resolve })
    const lines = (stream: 'stdout' | 'stderr'): void => {
      const source = stream === 'stdout' ? proc.stdout : proc.stderr
      if (source === null) return
      createInterface({ input: source, crlfDelay: Infinity }).on('line', (line) => {
        const info = stream === 'stdout' ? readyLine(line) : undefined
        if (info !== undefined) { announce(info); return }
        this.#lastLines.push(line)
        if (this.#lastLines.length > KEEP_LINES) this.#lastLines.shift()
        this.#init.onLine(stream, line)
      })
    }
    lines('stdout')
    lines('stderr')
    // The IPC channel must not keep the launcher alive by itself, nor crash it if the child goes first.
    proc.channel?.unref()
    proc.on('error', () => {})
    const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()))
    this.#exited = new Promise<ChildExit>((resolve) => {
      proc.once('exit', (code, signal) => {
        const exit = { code, signal, requested: this.#stopping }
        // What it started (kernels) dies with it; then its last lines are read before anyone hears of the
        // exit, so they come before the launcher's own "stopped" or "restarting". A grandchild that still
        // holds the pipes open cannot delay that for long.
        killGroup(proc.pid, 'SIGKILL')
        void Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]).then(() => resolve(exit))
      })
    })
    this.#ready = Promise.race([
      ready,
      this.#exited.then((exit) => { throw exitError(this.name, exit, this.#lastLines) }),
    ])
    this.#ready.catch(() => {})
    return { ready: this.#ready, exited: this.#exited }
  }

  /**
   * Stops the daemon: SIGTERM (both daemons flush to disk on it), then SIGKILL to its whole process group
   * after `graceMs`.
   * Resolves when the process has exited.
   */
  async stop(graceMs = 10_000): Promise<ChildExit | undefined> {
    const proc = this.#proc
    if (proc === undefined || this.#exited === undefined) return undefined
    this.#stopping = true
    if (proc.exitCode !== null || proc.signalCode !== null) {
      killGroup(proc.pid, 'SIGKILL') // whatever it left behind
      return this.#exited
    }
    // SIGTERM to the daemon alone, so it shuts its kernels down in order; the rest of its group is killed
    // once it has exited (see start).
    proc.kill('SIGTERM')
    const timer = setTimeout(() => killGroup(proc.pid, 'SIGKILL'), graceMs)
    try {
      return await this.#exited
    } finally {
      clearTimeout(timer)
      // Children of the daemon that ignored SIGTERM (a stuck kernel) go with the group.
      killGroup(proc.pid, 'SIGKILL')
    }
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // the group is gone already
  }
}

function readyLine(line: string): ReadyInfo | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const v = JSON.parse(line) as Partial<ReadyInfo> & { event?: unknown }
    if (v.event !== 'ready' || typeof v.peerId !== 'string') return undefined
    return {
      peerId: v.peerId,
      addresses: Array.isArray(v.addresses) ? v.addresses.filter((a): a is string => typeof a === 'string') : [],
      httpUrls: Array.isArray(v.httpUrls) ? v.httpUrls.filter((a): a is string => typeof a === 'string') : [],
      pid: typeof v.pid === 'number' ? v.pid : 0,
    }
  } catch {
    return undefined
  }
}

function exitError(name: string, exit: ChildExit, lastLines: readonly string[]): Error {
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`
  const tail = lastLines.length > 0 ? `; its last messages:\n  ${lastLines.slice(-8).join('\n  ')}` : ' without a message'
  return new Error(`the ${name} ${how} before it was ready${tail}`)
}
