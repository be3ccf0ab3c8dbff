import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKernelLauncher } from '../kernel/launcher.js'
import type { ExecuteReply, Kernel, KernelLauncher, KernelOutput, StartKernelOptions } from '../kernel/types.js'
import type { SandboxHost } from '../sandbox/capabilities.js'

/** A kernel started in fresh temporary directories, and how to get rid of all of it. */
export interface TestKernel {
  readonly kernel: Kernel
  readonly launcher: KernelLauncher
  /** The kernel's writable project directory. */
  readonly workdir: string
  readonly stateDir: string
  /** Shuts the kernel and the launcher down and removes both directories. */
  dispose(): Promise<void>
}

export interface StartTestKernelOptions extends Omit<StartKernelOptions, 'workdir'> {
  /** Kernelspec name; default `python3`. */
  readonly specName?: string
  readonly host?: SandboxHost
}

/** Starts a sandboxed kernel (python3 by default) in a temporary project directory: one call for tests and benchmarks. */
export async function startTestKernel(options: StartTestKernelOptions = {}): Promise<TestKernel> {
  const root = await mkdtemp(join(tmpdir(), 'quire-kt-'))
  const workdir = join(root, 'project')
  const stateDir = join(root, 'state')
  await mkdir(workdir)
  const launcher = await createKernelLauncher({ stateDir, ...(options.host ? { host: options.host } : {}) })
  const { specName = 'python3', host: _host, ...start } = options
  try {
    const kernel = await launcher.start(specName, { ...start, workdir })
    return {
      kernel,
      launcher,
      workdir,
      stateDir,
      async dispose() {
        await launcher.stopAll()
        await rm(root, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await launcher.stopAll()
    await rm(root, { recursive: true, force: true })
    throw error
  }
}

/** What one execute produced: the reply, every output, and the stdout/result text joined for assertions. */
export interface ExecutionResult {
  readonly reply: ExecuteReply
  readonly outputs: readonly KernelOutput[]
  readonly stdout: string
  readonly stderr: string
}

/** Runs `code` and collects its outputs. */
export async function executeCollect(kernel: Kernel, code: string, options: { signal?: AbortSignal } = {}): Promise<ExecutionResult> {
  const outputs: KernelOutput[] = []
  const reply = await kernel.execute(code, { onOutput: (output) => outputs.push(output), ...options })
  const text = (name: 'stdout' | 'stderr') =>
    outputs.map((o) => (o.type === 'stream' && o.name === name ? o.text : '')).join('')
  return { reply, outputs, stdout: text('stdout'), stderr: text('stderr') }
}
