import { execFile } from 'node:child_process'
import { access, constants } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import type { SandboxCapabilities } from '../kernel/types.js'
import { type CgroupPlan, probeCgroups } from './cgroups.js'
import type { SandboxUser } from './sandbox-user.js'

/** Everything the sandbox needs to know about this host, found once per launcher. */
export interface SandboxHost {
  readonly capabilities: SandboxCapabilities
  /** Absolute path of a working `bwrap`, or undefined. */
  readonly bwrap?: string
  /** Absolute path of `prlimit`, or undefined. */
  readonly prlimit?: string
  readonly cgroups: CgroupPlan
  /** Why bubblewrap cannot be used, when it cannot. */
  readonly bwrapProblem?: string
  /** The unprivileged host user sandboxed code runs as (the compute peer runs as root; S5). */
  readonly user?: SandboxUser
}

async function which(program: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/bin', '/usr/sbin', '/sbin']
  for (const dir of dirs.filter(Boolean)) {
    const path = join(dir, program)
    try {
      await access(path, constants.X_OK)
      return path
    } catch {
      // next
    }
  }
  return undefined
}

interface RunResult {
  readonly ok: boolean
  readonly output: string
  /** How it failed, readable: "exit code 1", "killed by SIGKILL", "could not execute it: EACCES ...". */
  readonly failure?: string
}

function run(file: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim()
      if (!error) return resolve({ ok: true, output })
      const e = error as NodeJS.ErrnoException & { code?: unknown; signal?: unknown; killed?: boolean }
      const failure =
        typeof e.code === 'number' ? `exit code ${e.code}`
          : typeof e.signal === 'string' && e.signal !== '' ? `killed by ${e.signal}${e.killed ? ' (no answer within 10 s)' : ''}`
            : `could not execute it: ${e.message}`
      resolve({ ok: false, output, failure })
    })
  })
}

/** Options of {@link probeSandboxHost}. */
export interface ProbeSandboxOptions {
  /** The bubblewrap executable to use instead of the first `bwrap` on PATH (tests point it at a broken one). */
  readonly bwrapPath?: string
  /** Sandboxes run as this user (see `resolveSandboxUser`); the probe runs bubblewrap as it too. */
  readonly user?: SandboxUser
}

/**
 * Finds out what this host lets the sandbox do: whether bubblewrap can create the namespaces a kernel needs,
 * which cgroup controllers can hold limits, and whether prlimit exists. Never throws: what is missing is
 * reported in `notes`, for the console at compute-peer start.
 */
export async function probeSandboxHost(options: ProbeSandboxOptions = {}): Promise<SandboxHost> {
  const notes: string[] = []
  const bwrapPath = options.bwrapPath ?? (await which('bwrap'))
  let bwrap: string | undefined
  let bwrapProblem: string | undefined
  if (!bwrapPath) {
    bwrapProblem = 'bubblewrap is not installed (apt-get install bubblewrap)'
  } else {
    // The same namespaces a kernel gets, with a different user id, as the real launch does.
    const asUser = options.user ? ['/usr/bin/setpriv', ...setprivArgs(options.user), bwrapPath] : [bwrapPath]
    const probe = await run(asUser[0]!, [...asUser.slice(1),
      '--unshare-all', '--unshare-user', '--uid', '1000', '--gid', '1000', '--die-with-parent', '--new-session',
      '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', 'true',
    ])
    // Installed but unable to run is a different problem from missing, with a different remedy: say which.
    if (probe.ok) bwrap = bwrapPath
    else bwrapProblem = bwrapFailure(bwrapPath, probe)
  }
  notes.push(bwrap ? `sandbox: bubblewrap (${bwrap}): own user, pid, mount, ipc and network namespaces; read-only system` : `sandbox: none, ${bwrapProblem}`)
  if (options.user) notes.push(`sandbox user: ${options.user.name} (uid ${options.user.uid}): the compute peer runs as root, so kernels and the files they write belong to this unprivileged user`)

  const prlimitPath = await which('prlimit')
  const prlimit = prlimitPath && (await run(prlimitPath, ['--version'])).ok ? prlimitPath : undefined
  const cgroups = await probeCgroups()
  const isRoot = process.getuid?.() === 0

  const via = (controller: 'memory' | 'pids' | 'cpuacct'): SandboxCapabilities['memory'] => {
    if (cgroups.v1[controller]) return 'cgroup-v1'
    if (controller !== 'cpuacct' && cgroups.v2?.controllers.has(controller)) return 'cgroup-v2'
    return 'none'
  }
  let memory = via('memory')
  if (memory === 'none' && prlimit) memory = 'prlimit'
  let cpu = via('cpuacct')
  if (cpu === 'none' && prlimit) cpu = 'prlimit'
  let processes = via('pids')
  // RLIMIT_NPROC counts every process of the real user and is ignored for root: as root it would either
  // do nothing or, inside a user namespace, count all of root's processes on the host. Only for non-root.
  if (processes === 'none' && prlimit && !isRoot) processes = 'prlimit'
  const fileSize = prlimit ? 'prlimit' : 'none'

  const describe: Record<SandboxCapabilities['memory'], string> = {
    'cgroup-v1': 'cgroup v1',
    'cgroup-v2': 'cgroup v2',
    prlimit: 'prlimit',
    none: 'none',
  }
  notes.push(
    memory === 'prlimit'
      ? 'memory limit: prlimit --as (address space per process; no cgroup memory controller available)'
      : `memory limit: ${describe[memory]}${memory.startsWith('cgroup') ? ' memory controller (OOM kill of the whole kernel, detected)' : ''}`,
  )
  notes.push(
    cpu === 'prlimit'
      ? 'CPU time limit: prlimit --cpu (per process)'
      : cpu === 'none'
        ? 'CPU time limit: none'
        : `CPU time limit: ${describe[cpu]} cpuacct (total of all the kernel's processes, checked every second) plus prlimit --cpu per process`,
  )
  if (cgroups.v1.cpu || cgroups.v2?.controllers.has('cpu')) notes.push(`CPU share limit (cpuCores): ${cgroups.v1.cpu ? 'cgroup v1' : 'cgroup v2'} cpu controller`)
  notes.push(
    processes === 'none'
      ? `process limit: none${isRoot && prlimit ? ' (no pids cgroup; prlimit --nproc does not apply to root)' : ''}`
      : processes === 'prlimit'
        ? 'process limit: prlimit --nproc (counts every process of this user, not only the kernel)'
        : `process limit: ${describe[processes]} pids controller`,
  )
  notes.push(`file size limit: ${fileSize === 'prlimit' ? 'prlimit --fsize' : 'none'}`)
  if (!cgroups.v2 && Object.keys(cgroups.v1).length === 0) notes.push('cgroups: no controller is writable by this process (run as root or delegate a cgroup)')

  const capabilities: SandboxCapabilities = { bubblewrap: Boolean(bwrap), memory, cpu, processes, fileSize, notes }
  return {
    capabilities,
    cgroups,
    ...(bwrap ? { bwrap } : {}),
    ...(prlimit ? { prlimit } : {}),
    ...(bwrapProblem ? { bwrapProblem } : {}),
    ...(options.user ? { user: options.user } : {}),
  }
}

/** setpriv's arguments that make the rest of a command run as `user` (no supplementary groups, no capabilities). */
export function setprivArgs(user: SandboxUser): string[] {
  return [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--']
}

/** Why an installed bubblewrap could not start a test sandbox, and what usually fixes it. */
function bwrapFailure(path: string, probe: RunResult): string {
  const said = probe.output ? `: ${probe.output.split('\n').slice(-3).join(' / ').slice(0, 500)}` : ' without a message'
  return (
    `bubblewrap is installed (${path}) but failed to start a test sandbox (${probe.failure ?? 'unknown failure'})${said}. ` +
    'It needs unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 and user.max_user_namespaces > 0; ' +
    'inside a container, one that allows creating namespaces)'
  )
}

/** What the sandbox can apply on this host, with a human-readable note per kind of limit. */
export async function detectSandboxCapabilities(): Promise<SandboxCapabilities> {
  return (await probeSandboxHost()).capabilities
}
