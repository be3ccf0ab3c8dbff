import { mkdir, readFile, readdir, rmdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** The cgroup controllers a kernel's limits use. `cpuacct` measures total CPU time (cgroup v1 only). */
export type CgroupController = 'memory' | 'pids' | 'cpu' | 'cpuacct'

/** Where each usable controller's `quire` parent group lives. Absent controller: not usable on this host. */
export interface CgroupPlan {
  readonly v1: Partial<Record<CgroupController, string>>
  /** cgroup v2 parent group (`.../quire`) and the controllers enabled below it. */
  readonly v2?: { readonly dir: string; readonly controllers: ReadonlySet<'memory' | 'pids' | 'cpu'> }
}

interface CgroupMount {
  readonly version: 1 | 2
  readonly controllers: readonly string[]
  readonly root: string
  readonly mountPoint: string
}

async function cgroupMounts(): Promise<CgroupMount[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '')
  const mounts: CgroupMount[] = []
  for (const line of text.split('\n')) {
    const [before, after] = line.split(' - ')
    if (!before || !after) continue
    const fields = before.split(' ')
    const [fsType, , superOptions = ''] = after.split(' ')
    const root = fields[3] ?? '/'
    const mountPoint = (fields[4] ?? '').replace(/\\040/g, ' ')
    if (fsType === 'cgroup2') mounts.push({ version: 2, controllers: [], root, mountPoint })
    if (fsType === 'cgroup') mounts.push({ version: 1, controllers: superOptions.split(','), root, mountPoint })
  }
  return mounts
}

/** This process's own group per hierarchy, from /proc/self/cgroup (`id:controllers:path`). */
async function ownGroups(): Promise<{ v1: Map<string, string>; v2?: string }> {
  const text = await readFile('/proc/self/cgroup', 'utf8').catch(() => '')
  const v1 = new Map<string, string>()
  let v2: string | undefined
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line)
    if (!match) continue
    if (match[1] === '0' && match[2] === '') v2 = match[3]
    else for (const controller of match[2]!.split(',')) v1.set(controller, match[3]!)
  }
  return v2 === undefined ? { v1 } : { v1, v2 }
}

function groupDir(mount: CgroupMount, ownPath: string): string {
  // Nest under our own group rather than the hierarchy root: the limits a supervisor put on the compute
  // peer then also bound its kernels, and no kernel escapes the accounting the host set up for us.
  const relative = mount.root !== '/' && ownPath.startsWith(mount.root) ? ownPath.slice(mount.root.length) : ownPath
  return join(mount.mountPoint, relative, 'quire')
}

/** The file that proves a controller works in a fresh child group. */
const PROBE_FILE: Record<CgroupController, string> = {
  memory: 'memory.limit_in_bytes',
  pids: 'pids.max',
  cpu: 'cpu.cfs_quota_us',
  cpuacct: 'cpuacct.usage',
}

/**
 * Finds which controllers this process can use for its kernels by creating (and removing) a probe group
 * under each. Needs write access to the hierarchy: as an unprivileged user without delegation, nothing.
 */
export async function probeCgroups(): Promise<CgroupPlan> {
  const [mounts, own] = await Promise.all([cgroupMounts(), ownGroups()])
  const v1: Partial<Record<CgroupController, string>> = {}
  for (const controller of ['memory', 'pids', 'cpu', 'cpuacct'] as const) {
    const mount = mounts.find((m) => m.version === 1 && m.controllers.includes(controller))
    const ownPath = own.v1.get(controller)
    if (!mount || ownPath === undefined) continue
    const dir = groupDir(mount, ownPath)
    if (await probeGroup(dir, PROBE_FILE[controller])) v1[controller] = dir
  }
  const unified = mounts.find((m) => m.version === 2)
  if (unified && own.v2 !== undefined) {
    const v2 = await probeV2(groupDir(unified, own.v2), (key) => v1[key] === undefined)
    if (v2) return { v1, v2 }
  }
  return { v1 }
}

async function probeGroup(dir: string, probeFile: string): Promise<boolean> {
  const probe = join(dir, `probe-${process.pid}`)
  try {
    await mkdir(probe, { recursive: true })
    await readFile(join(probe, probeFile))
    return true
  } catch {
    return false
  } finally {
    await rmdir(probe).catch(() => undefined)
  }
}

async function probeV2(dir: string, wanted: (c: 'memory' | 'pids' | 'cpu') => boolean) {
  try {
    const parent = join(dir, '..')
    const available = (await readFile(join(parent, 'cgroup.controllers'), 'utf8')).split(/\s+/)
    const controllers = (['memory', 'pids', 'cpu'] as const).filter((c) => wanted(c) && available.includes(c))
    if (controllers.length === 0) return undefined
    await mkdir(dir, { recursive: true })
    // v2 forbids processes in an inner group: this works when our parent group is delegated to us and we
    // live in a leaf; otherwise the write fails and the limits fall back to prlimit.
    await writeFile(join(parent, 'cgroup.subtree_control'), controllers.map((c) => `+${c}`).join(' '))
    await writeFile(join(dir, 'cgroup.subtree_control'), controllers.map((c) => `+${c}`).join(' '))
    return { dir, controllers: new Set(controllers) }
  } catch {
    return undefined
  }
}

/** The limits a kernel group applies; a subset of KernelLimits plus a CPU rate. */
export interface CgroupLimits {
  readonly memoryBytes?: number
  readonly processes?: number
  readonly cpuCores?: number
}

/** One kernel's groups, one per controller (v1) or one for all (v2). */
export class KernelCgroup {
  readonly #dirs: Map<string, string>
  readonly #version: 1 | 2
  #oomBaseline = 0

  private constructor(version: 1 | 2, dirs: Map<string, string>) {
    this.#version = version
    this.#dirs = dirs
  }

  /** Creates the groups for kernel `id` and writes the limits; only the controllers the limits need. */
  static async create(plan: CgroupPlan, id: string, limits: CgroupLimits): Promise<KernelCgroup | undefined> {
    const wanted = new Set<CgroupController>()
    if (limits.memoryBytes !== undefined) wanted.add('memory')
    if (limits.processes !== undefined) wanted.add('pids')
    if (limits.cpuCores !== undefined) wanted.add('cpu')
    wanted.add('cpuacct') // always: CPU time accounting for the cpuSeconds watchdog and diagnostics
    const dirs = new Map<string, string>()
    let version: 1 | 2 = 1
    for (const controller of wanted) {
      const parent = plan.v1[controller]
      if (parent) dirs.set(controller, join(parent, id))
    }
    // Mixing hierarchies per controller is possible but confusing: use v2 only when v1 offers nothing.
    if (dirs.size === 0 && plan.v2) {
      version = 2
      dirs.set('unified', join(plan.v2.dir, id))
    }
    if (dirs.size === 0) return undefined
    const group = new KernelCgroup(version, dirs)
    for (const dir of dirs.values()) await mkdir(dir, { recursive: true })
    await group.#writeLimits(limits)
    group.#oomBaseline = await group.oomKills()
    return group
  }

  /** `cgroup.procs` of every group: the sandbox's launcher writes its pid into each before it execs. */
  get procsFiles(): string[] {
    return [...this.#dirs.values()].map((dir) => join(dir, 'cgroup.procs'))
  }

  async #writeLimits(limits: CgroupLimits): Promise<void> {
    const set = async (controller: string, file: string, value: string | number) => {
      const dir = this.#dirs.get(controller) ?? this.#dirs.get('unified')
      if (dir) await writeFile(join(dir, file), String(value))
    }
    if (this.#version === 1) {
      if (limits.memoryBytes !== undefined) {
        await set('memory', 'memory.limit_in_bytes', limits.memoryBytes)
        // Swap would let a kernel exceed its memory limit; memsw exists only with swap accounting on.
        await set('memory', 'memory.memsw.limit_in_bytes', limits.memoryBytes).catch(() => undefined)
      }
      if (limits.processes !== undefined) await set('pids', 'pids.max', limits.processes)
      if (limits.cpuCores !== undefined) {
        await set('cpu', 'cpu.cfs_period_us', 100_000)
        await set('cpu', 'cpu.cfs_quota_us', Math.max(1000, Math.round(limits.cpuCores * 100_000)))
      }
    } else {
      if (limits.memoryBytes !== undefined) {
        await set('unified', 'memory.max', limits.memoryBytes)
        await set('unified', 'memory.swap.max', 0).catch(() => undefined)
      }
      if (limits.processes !== undefined) await set('unified', 'pids.max', limits.processes)
      if (limits.cpuCores !== undefined) await set('unified', 'cpu.max', `${Math.round(limits.cpuCores * 100_000)} 100000`)
    }
  }

  /** OOM kills in this group since it was created (or since `resetCounters`). */
  async oomKills(): Promise<number> {
    const dir = this.#dirs.get('memory') ?? this.#dirs.get('unified')
    if (!dir) return 0
    const file = this.#version === 1 ? 'memory.oom_control' : 'memory.events'
    const text = await readFile(join(dir, file), 'utf8').catch(() => '')
    const count = Number(/oom_kill (\d+)/.exec(text)?.[1] ?? 0)
    return count - this.#oomBaseline
  }

  async resetCounters(): Promise<void> {
    this.#oomBaseline = 0
    this.#oomBaseline = await this.oomKills()
  }

  /** Total CPU seconds used by every process of the group, if this host can tell. */
  async cpuSeconds(): Promise<number | undefined> {
    const v1 = this.#dirs.get('cpuacct')
    if (v1) {
      const text = await readFile(join(v1, 'cpuacct.usage'), 'utf8').catch(() => undefined)
      return text === undefined ? undefined : Number(text) / 1e9
    }
    const v2 = this.#dirs.get('unified')
    if (v2) {
      const text = await readFile(join(v2, 'cpu.stat'), 'utf8').catch(() => '')
      const usec = /usage_usec (\d+)/.exec(text)?.[1]
      return usec === undefined ? undefined : Number(usec) / 1e6
    }
    return undefined
  }

  /** Process ids still in the group(s). */
  async pids(): Promise<number[]> {
    const all = new Set<number>()
    for (const dir of this.#dirs.values()) {
      const text = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '')
      for (const line of text.split('\n')) if (line) all.add(Number(line))
    }
    return [...all]
  }

  /** SIGKILLs everything in the group, however it escaped its process group, and waits until it is empty. */
  async killAll(timeoutMs = 5000): Promise<boolean> {
    const unified = this.#dirs.get('unified')
    if (unified) await writeFile(join(unified, 'cgroup.kill'), '1').catch(() => undefined)
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const pids = await this.pids()
      if (pids.length === 0) return true
      if (Date.now() > deadline) return false
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  /** Removes the (empty) groups. */
  async remove(): Promise<void> {
    for (const dir of this.#dirs.values()) {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          await rmdir(dir)
          break
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') break
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      }
    }
  }
}

/** Removes leftover kernel groups of an earlier run (crash, kill -9) so they do not pile up. */
export async function removeStaleGroups(plan: CgroupPlan): Promise<void> {
  const parents = [...Object.values(plan.v1), ...(plan.v2 ? [plan.v2.dir] : [])]
  for (const parent of parents) {
    const names = await readdir(parent, { withFileTypes: true }).catch(() => [])
    for (const entry of names) {
      if (!entry.isDirectory()) continue
      // Young groups may belong to another launcher that has not moved its kernel in yet.
      const created = await stat(join(parent, entry.name)).catch(() => undefined)
      if (!created || Date.now() - created.mtimeMs < 60_000) continue
      const procs = await readFile(join(parent, entry.name, 'cgroup.procs'), 'utf8').catch(() => 'x')
      if (procs.trim() === '') await rmdir(join(parent, entry.name)).catch(() => undefined)
    }
  }
}
