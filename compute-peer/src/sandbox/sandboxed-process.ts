import { type ChildProcess, spawn } from 'node:child_process'
import { constants } from 'node:os'
import type { Readable, Writable } from 'node:stream'
import { KernelError } from '../kernel/errors.js'
import type { KernelLimits } from '../kernel/types.js'
import { bwrapArgs, type SandboxMounts } from './bwrap-args.js'
import { chmod, chown, lchown, readdir, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { setprivArgs, type SandboxHost } from './capabilities.js'
import type { SandboxUser } from './sandbox-user.js'
import { KernelCgroup } from './cgroups.js'
import { leftoverProcesses } from './process-tree.js'

/** How a sandboxed command ended, with a reason a person can read. */
export interface SandboxExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly reason: string
  readonly outOfMemory: boolean
}

export interface SpawnSandboxedOptions extends SandboxMounts {
  /** Unique per launch; names the cgroups. */
  readonly id: string
  readonly argv: readonly string[]
  readonly limits?: KernelLimits
  readonly host: SandboxHost
  /** Run without bubblewrap (limits still apply). Never the default: code then sees the whole machine. */
  readonly unsafeNoSandbox?: boolean
  /**
   * The command talks to us over its stdin and stdout ({@link SandboxedProcess.stdin}, `stdout`): a helper
   * process such as the workspace's disk side. Otherwise stdin is closed and stdout is only kept as the tail.
   */
  readonly pipes?: boolean
}

const STATUS_FD = 3
/**
 * bubblewrap reads its arguments from this descriptor (`--args`), so the sandbox's first process, which
 * every process inside can read the command line of (/proc/1/cmdline), shows `bwrap --args 4 -- <kernel
 * command>` instead of the host's paths, the project and kernel ids and the list of masked files (S2).
 */
const ARGS_FD = 4
/**
 * bubblewrap, running as the sandbox user, must reach the directories it binds by path. A directory on the
 * way that only root may enter (the data directory is 0700) is given to the sandbox user's group for
 * entering only (g+x, no listing): that user exists only inside sandboxes, which do not see these paths.
 */
async function letTraverse(user: SandboxUser, dir: string): Promise<void> {
  for (let current = dir; current !== dirname(current); current = dirname(current)) {
    const info = await stat(current)
    const enterable = (info.mode & 0o001) !== 0 || (info.gid === user.gid && (info.mode & 0o010) !== 0) || (info.uid === user.uid && (info.mode & 0o100) !== 0)
    if (enterable) continue
    if (info.uid !== 0 || (info.gid !== 0 && info.gid !== user.gid)) {
      throw new KernelError('SANDBOX_FAILED', `The sandbox user ${user.name} cannot enter ${current} (owner ${info.uid}:${info.gid}, mode ${(info.mode & 0o777).toString(8)}); let it (chmod o+x) or move the data directory.`)
    }
    await chown(current, 0, user.gid)
    await chmod(current, (info.mode & 0o7777) | 0o010)
  }
}

/** Makes `path` (and, when `recursive`, what is in it; symbolic links themselves, not their targets) the user's. */
async function giveTo(user: SandboxUser, path: string, recursive: boolean): Promise<void> {
  await lchown(path, user.uid, user.gid)
  if (!recursive) return
  const entries = await readdir(path, { withFileTypes: true }).catch(() => [])
  for (const entry of entries) {
    const child = join(path, entry.name)
    if (entry.isDirectory()) await giveTo(user, child, true)
    else await lchown(child, user.uid, user.gid).catch(() => undefined)
  }
}
const OUTPUT_TAIL = 8192

/**
 * Puts the launcher's pid into every cgroup before it execs, so no process of the command is ever outside
 * its limits (writing the pid after spawn would race with the command's first fork).
 */
const ENTER_CGROUPS = 'for f in "$@"; do [ "$f" = -- ] && break; echo $$ > "$f" || exit 125; shift; done; shift; exec "$@"'

function signalName(number: number): string {
  return Object.entries(constants.signals).find(([, value]) => value === number)?.[0] ?? `signal ${number}`
}

/** A command running in its own sandbox, process group and cgroups. */
export class SandboxedProcess {
  readonly #child: ChildProcess
  readonly #cgroup: KernelCgroup | undefined
  readonly #limits: KernelLimits
  readonly #sandboxed: boolean
  #sandboxPid: number | undefined
  #exitCode: number | undefined
  #output = ''
  #cpuExceeded = false
  #cpuWatch: NodeJS.Timeout | undefined
  /** Resolves once the command and everything it started are gone. */
  readonly exited: Promise<SandboxExit>

  private constructor(child: ChildProcess, cgroup: KernelCgroup | undefined, limits: KernelLimits, sandboxed: boolean, pipes: boolean) {
    this.#child = child
    this.#sandboxed = sandboxed
    this.#cgroup = cgroup
    this.#limits = limits
    for (const stream of pipes ? [child.stderr] : [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        this.#output = (this.#output + chunk.toString('utf8')).slice(-OUTPUT_TAIL)
      })
    }
    this.#readStatus(child.stdio[STATUS_FD] as Readable | undefined)
    this.exited = new Promise<SandboxExit>((resolve) => {
      child.once('close', (code, signal) => {
        clearInterval(this.#cpuWatch)
        void this.#describeExit(code, signal).then(resolve)
      })
    })
    if (limits.cpuSeconds !== undefined && cgroup) {
      this.#cpuWatch = setInterval(() => void this.#checkCpu(limits.cpuSeconds!), 1000)
      this.#cpuWatch.unref()
    }
  }

  /** Starts `argv` in a sandbox with the given limits. Throws SANDBOX_UNAVAILABLE without bubblewrap. */
  static async spawn(options: SpawnSandboxedOptions): Promise<SandboxedProcess> {
    const { host } = options
    if (!host.bwrap && !options.unsafeNoSandbox) {
      throw new KernelError(
        'SANDBOX_UNAVAILABLE',
        `Refusing to run code without a sandbox: ${host.bwrapProblem ?? 'bubblewrap is unavailable (apt-get install bubblewrap)'}. ` +
          'Only on a machine you do not care about, start the compute peer with unsafeNoSandbox instead.',
      )
    }
    const limits = options.limits ?? {}
    let cgroup: KernelCgroup | undefined
    try {
      cgroup = await KernelCgroup.create(host.cgroups, options.id, {
        ...(limits.memoryBytes !== undefined ? { memoryBytes: limits.memoryBytes } : {}),
        ...(limits.processes !== undefined ? { processes: limits.processes } : {}),
        ...(limits.cpuCores !== undefined ? { cpuCores: limits.cpuCores } : {}),
      })
    } catch (cause) {
      throw new KernelError('SANDBOX_FAILED', `Could not create the kernel's cgroup (${String(cause)}); check that /sys/fs/cgroup is writable.`, { cause })
    }
    const command: string[] = []
    const sandboxed = host.bwrap !== undefined && !options.unsafeNoSandbox
    // As root: cgroups are entered as root (the shell below), then everything runs as the sandbox user,
    // which owns the project's files and the kernel's ipc directory (S5).
    const user = sandboxed ? host.user : undefined
    if (user) {
      for (const dir of [options.workdir, ...(options.ipcDir !== undefined ? [options.ipcDir] : [])]) {
        await giveTo(user, dir, true)
        await letTraverse(user, dirname(dir))
      }
      command.push('/usr/bin/setpriv', ...setprivArgs(user))
    }
    const prlimit = prlimitArgs(host, limits, cgroup)
    if (prlimit.length > 0) command.push(host.prlimit!, ...prlimit, '--')
    // bubblewrap takes the command itself only from its real command line.
    if (sandboxed) command.push(host.bwrap!, '--args', String(ARGS_FD), '--')
    command.push(...options.argv)
    const child = spawn('/bin/sh', ['-c', ENTER_CGROUPS, 'quire-sandbox', ...(cgroup?.procsFiles ?? []), '--', ...command], {
      // Its own process group, so a kill reaches everything that did not set up a session of its own.
      detached: true,
      stdio: [options.pipes === true ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe', sandboxed ? 'pipe' : 'ignore'],
      cwd: options.workdir,
      env: options.unsafeNoSandbox || !host.bwrap ? { ...options.env } : { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    })
    if (sandboxed) {
      const args = bwrapArgs(options, STATUS_FD)
      const pipe = child.stdio[ARGS_FD] as Writable
      pipe.on('error', () => undefined) // bubblewrap gone before reading: its exit says why
      pipe.end(Buffer.from(args.map((arg) => `${arg}\0`).join(''), 'utf8'))
    }
    const spawned = new SandboxedProcess(child, cgroup, limits, sandboxed, options.pipes === true)
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve)
        child.once('error', (error) => reject(new KernelError('SANDBOX_FAILED', `Could not start the sandbox: ${error.message}`, { cause: error })))
      })
    } catch (error) {
      await spawned.dispose()
      throw error
    }
    return spawned
  }

  /** The command's stdin, with `pipes` (else null). */
  get stdin(): Writable | null {
    return this.#child.stdin
  }

  /** The command's stdout: with `pipes` ours to read; otherwise only its tail is kept in {@link output}. */
  get stdout(): Readable | null {
    return this.#child.stdout
  }

  /** The outer process id (its process group id too). */
  get pid(): number | undefined {
    return this.#child.pid
  }

  /** Last few KiB of the command's stdout and stderr, to explain a failed start. */
  get output(): string {
    return this.#output
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null
  }

  /**
   * Sends a signal to the command's process group, the way Jupyter interrupts a kernel. Inside bubblewrap
   * that group is the sandbox's session (its init ignores the signal; the kernel and its children get it).
   */
  signalGroup(signal: NodeJS.Signals): void {
    const target = this.#sandboxPid ?? this.#child.pid
    if (target === undefined || !this.running) return
    try {
      process.kill(-target, signal)
    } catch {
      // the group is already gone
    }
  }

  /** Kills everything the command started (process group, then the cgroup) and waits for the exit. */
  async kill(): Promise<SandboxExit> {
    // Once the outer process is reaped its pids may be reused: never signal a group that is not ours.
    for (const group of this.running ? [this.#sandboxPid, this.#child.pid] : []) {
      if (group === undefined) continue
      try {
        process.kill(-group, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    await this.#cgroup?.killAll()
    return this.exited
  }

  /** Removes the cgroups; call after `exited`. */
  async dispose(): Promise<void> {
    clearInterval(this.#cpuWatch)
    await this.#cgroup?.killAll()
    await this.#cgroup?.remove()
  }

  /**
   * Processes the command's children left running (S3): everything in the sandbox but its init and the
   * command itself. A process that left the sandbox's tree cannot exist: the pid namespace holds them all.
   */
  async leftovers(): Promise<number[]> {
    const root = this.#child.pid
    if (root === undefined || !this.running) return []
    return leftoverProcesses(root, this.#sandboxed)
  }

  /**
   * SIGKILLs the leftovers until none is left (a fork bomb refills while it is killed: it runs out of pids,
   * then of processes). The command itself and its threads are untouched. Returns how many were killed.
   */
  async killLeftovers(timeoutMs = 5000): Promise<number> {
    const killed = new Set<number>()
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const pids = await this.leftovers()
      if (pids.length === 0 || Date.now() > deadline) return killed.size
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL')
          killed.add(pid)
        } catch {
          // already gone
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  /** Processes still alive in the cgroup (empty when no cgroup is used). */
  async remainingPids(): Promise<number[]> {
    return (await this.#cgroup?.pids()) ?? []
  }

  #readStatus(stream: Readable | undefined): void {
    let buffer = ''
    stream?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8')
      const childPid = /"child-pid":\s*(\d+)/.exec(buffer)?.[1]
      if (childPid && this.#sandboxPid === undefined) this.#sandboxPid = Number(childPid)
      const exitCode = /"exit-code":\s*(\d+)/.exec(buffer)?.[1]
      if (exitCode) this.#exitCode = Number(exitCode)
    })
  }

  async #checkCpu(limit: number): Promise<void> {
    const used = await this.#cgroup?.cpuSeconds()
    if (used === undefined || used <= limit || this.#cpuExceeded) return
    this.#cpuExceeded = true
    await this.kill()
  }

  async #describeExit(code: number | null, signal: NodeJS.Signals | null): Promise<SandboxExit> {
    // bubblewrap reports a command killed by signal N as exit code 128 + N.
    const status = this.#exitCode ?? code
    const killed = signal === 'SIGKILL' || status === 128 + constants.signals.SIGKILL
    // An OOM kill of some child does not explain the kernel's own exit unless the kernel was SIGKILLed.
    const oom = killed && ((await this.#cgroup?.oomKills()) ?? 0) > 0
    let reason: string
    if (oom) reason = `killed: out of memory${this.#limits.memoryBytes ? ` (limit ${formatBytes(this.#limits.memoryBytes)})` : ''}`
    else if (this.#cpuExceeded) reason = `killed: CPU time limit of ${this.#limits.cpuSeconds} s exceeded`
    else if (signal) reason = `killed by ${signal}`
    else if (status !== null && status > 128 && status < 160) {
      const name = signalName(status - 128)
      reason = name === 'SIGXCPU' ? 'killed: CPU time limit exceeded (SIGXCPU)' : `killed by ${name}`
    } else if (status === 125 && this.#sandboxPid === undefined) reason = 'could not enter its cgroup (is /sys/fs/cgroup writable?)'
    else reason = `exited with code ${status ?? 'unknown'}`
    return { code: status, signal, reason, outOfMemory: oom }
  }
}

function prlimitArgs(host: SandboxHost, limits: KernelLimits, cgroup: KernelCgroup | undefined): string[] {
  if (!host.prlimit) return []
  const caps = host.capabilities
  const args: string[] = []
  if (limits.memoryBytes !== undefined && caps.memory === 'prlimit') args.push(`--as=${limits.memoryBytes}`)
  // Per-process CPU time is a backstop even with the cgroup watchdog: it acts without polling.
  if (limits.cpuSeconds !== undefined) args.push(`--cpu=${Math.ceil(limits.cpuSeconds)}:${Math.ceil(limits.cpuSeconds) + 5}`)
  if (limits.processes !== undefined && caps.processes === 'prlimit' && !cgroup) args.push(`--nproc=${limits.processes}`)
  if (limits.fileSizeBytes !== undefined) args.push(`--fsize=${limits.fileSizeBytes}`)
  return args
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${+(bytes / 1024 ** 3).toFixed(1)} GiB`
  return `${Math.round(bytes / 1024 ** 2)} MiB`
}
