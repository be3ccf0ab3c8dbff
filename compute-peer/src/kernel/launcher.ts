import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type SandboxHost, probeSandboxHost } from '../sandbox/capabilities.js'
import { removeStaleGroups } from '../sandbox/cgroups.js'
import { resolveSandboxUser } from '../sandbox/sandbox-user.js'
import { ipcDirFits } from './channels.js'
import { KernelError } from './errors.js'
import { JupyterKernel } from './jupyter-kernel.js'
import { findKernelSpecs, resolveKernelArgv } from './kernelspec.js'
import type { Kernel, KernelLauncher, StartKernelOptions } from './types.js'

export interface KernelLauncherInit {
  /** The compute peer's state directory; kernels' connection files and sockets go in `<stateDir>/kernels`. */
  readonly stateDir: string
  /**
   * Run kernels without bubblewrap when it is unavailable. Kernels then see the whole machine and the
   * network: only for a developer's own machine. Never set it in tests or by default.
   */
  readonly unsafeNoSandbox?: boolean
  /**
   * Host directories kernels may read besides /usr and /etc, for kernels installed elsewhere (a conda
   * environment in /opt, a kernelspec's own program). Read-only; the project's directory stays the only
   * writable one.
   */
  readonly readOnlyDirs?: readonly string[]
  /** Jupyter data directories to search for kernelspecs (default: Jupyter's own list). */
  readonly dataDirs?: readonly string[]
  /**
   * The host user kernels run as when this process is root (S5): default `quire-sandbox`, created if
   * missing; `false` keeps root's own user (only with a host probed by the caller, for tests). Ignored when
   * not root: kernels then run as this process's user.
   */
  readonly sandboxUser?: string | false
  /** A host description probed earlier (tests reuse one); default: probed now. */
  readonly host?: SandboxHost
  readonly signal?: AbortSignal
}

/**
 * Probes the host (bubblewrap, cgroups, prlimit) and returns a launcher for sandboxed Jupyter kernels.
 * Async because `capabilities` must be known before the first kernel starts.
 */
export async function createKernelLauncher(init: KernelLauncherInit): Promise<KernelLauncher> {
  const user = init.host || init.sandboxUser === false ? undefined : await resolveSandboxUser(init.sandboxUser)
  const host = init.host ?? (await probeSandboxHost(user ? { user } : {}))
  init.signal?.throwIfAborted()
  const kernelsDir = join(resolve(init.stateDir), 'kernels')
  // Kernels of an earlier run died with it (bubblewrap's --die-with-parent); their directories are litter.
  // One compute peer per state directory (its LevelDB is locked), so nothing here belongs to anyone else.
  await rm(kernelsDir, { recursive: true, force: true })
  await mkdir(kernelsDir, { recursive: true })
  await removeStaleGroups(host.cgroups)
  const running = new Set<JupyterKernel>()
  let stopped = false

  const specs = () => findKernelSpecs(init.dataDirs ? { dataDirs: init.dataDirs } : {})

  async function ipcDirFor(id: string): Promise<string> {
    const preferred = join(kernelsDir, id)
    if (ipcDirFits(preferred)) {
      await mkdir(preferred, { recursive: true, mode: 0o700 })
      return preferred
    }
    // A deep state directory would exceed the Unix socket path limit; a short private directory works.
    return mkdtemp(join(tmpdir(), 'quire-k-'))
  }

  return {
    capabilities: host.capabilities,
    specs,
    async start(specName: string, options: StartKernelOptions): Promise<Kernel> {
      options.signal?.throwIfAborted()
      if (stopped) throw new KernelError('KERNEL_DEAD', 'This kernel launcher was stopped; create a new one to start kernels.')
      if (!host.bwrap && !init.unsafeNoSandbox) {
        throw new KernelError(
          'SANDBOX_UNAVAILABLE',
          `Refusing to start a kernel without a sandbox: ${host.bwrapProblem ?? 'bubblewrap is unavailable (apt-get install bubblewrap)'}.`,
        )
      }
      const all = await specs()
      const spec = all.find((candidate) => candidate.name === specName)
      if (!spec) {
        const names = all.map((s) => s.name).join(', ') || 'none'
        throw new KernelError(
          'KERNEL_SPEC_NOT_FOUND',
          `No kernel named "${specName}" is installed on this compute peer (installed: ${names}). Install it (for example apt-get install python3-ipykernel) or pick another kernel.`,
        )
      }
      const workdir = resolve(options.workdir)
      const dir = await stat(workdir).catch(() => undefined)
      if (!dir?.isDirectory()) {
        throw new KernelError('SANDBOX_FAILED', `The working directory ${workdir} does not exist; create the project's directory first.`)
      }
      const id = `k${randomBytes(6).toString('hex')}`
      const kernel: JupyterKernel = new JupyterKernel({
        id,
        spec,
        argv: await resolveKernelArgv(spec),
        ipcDir: await ipcDirFor(id),
        host,
        options: { ...options, workdir },
        ...(init.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}),
        ...(init.readOnlyDirs ? { readOnlyDirs: init.readOnlyDirs.map((dir) => resolve(dir)) } : {}),
        onShutdown: () => running.delete(kernel),
      })
      running.add(kernel)
      try {
        await kernel.start()
      } catch (error) {
        await kernel.shutdown().catch(() => undefined)
        throw error
      }
      return kernel
    },
    async stopAll(): Promise<void> {
      stopped = true
      await Promise.all([...running].map((kernel) => kernel.shutdown().catch(() => undefined)))
    },
  }
}

