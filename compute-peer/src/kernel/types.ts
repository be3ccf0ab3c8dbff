/**
 * The contract between the kernel layer (Jupyter kernels over ZeroMQ, in a sandbox) and its users (the
 * notebook executor). The executor knows nothing about ZeroMQ, connection files or bubblewrap.
 */

/** An installed kernelspec (`kernel.json`), as found on this host. */
export interface KernelSpecInfo {
  /** Directory name of the kernelspec: `python3`, `sagemath`, `ir`, ... */
  readonly name: string
  readonly displayName: string
  readonly language: string
  /** argv from kernel.json, with `{connection_file}` still in it. */
  readonly argv: readonly string[]
  readonly resourceDir: string
  readonly env: Readonly<Record<string, string>>
  readonly interruptMode: 'signal' | 'message'
}

/** Resource limits for one kernel (and every process it starts). Omitted: no limit of that kind. */
export interface KernelLimits {
  /**
   * Memory of all the kernel's processes together (cgroup), or address space per process (prlimit --as,
   * where the kernel gets MemoryError instead of being killed). Over the cgroup limit the kernel is
   * OOM-killed and reported dead with "killed: out of memory (limit 256 MiB)".
   */
  readonly memoryBytes?: number
  /**
   * Total CPU time since the kernel (re)started, start-up included (python3 uses about 1 s to start): the
   * kernel is killed when it runs out ("killed: CPU time limit ..."). A lifetime budget, not a rate: see
   * `cpuCores` for a rate.
   */
  readonly cpuSeconds?: number
  /** Processes and threads together (the pids cgroup counts threads; ipykernel itself uses about 10). */
  readonly processes?: number
  /** Largest file a kernel process may write (prlimit --fsize): bigger writes fail with "File too large". */
  readonly fileSizeBytes?: number
  /**
   * CPU share, in cores (0.5: half of one core), applied as a cgroup cpu quota where the host offers the cpu
   * controller, otherwise not applied. Unlike `cpuSeconds` it slows a kernel down instead of killing it.
   */
  readonly cpuCores?: number
}

/** What the host let the sandbox apply, said at compute-peer start and in the kernel's info. */
export interface SandboxCapabilities {
  /** bubblewrap found and able to create namespaces. */
  readonly bubblewrap: boolean
  /** How each limit is applied: 'cgroup-v1', 'cgroup-v2', 'prlimit', or 'none'. */
  readonly memory: 'cgroup-v2' | 'cgroup-v1' | 'prlimit' | 'none'
  readonly cpu: 'cgroup-v2' | 'cgroup-v1' | 'prlimit' | 'none'
  readonly processes: 'cgroup-v2' | 'cgroup-v1' | 'prlimit' | 'none'
  readonly fileSize: 'prlimit' | 'none'
  /** Human-readable lines for the console ("memory limit: cgroup v1 memory controller", ...). */
  readonly notes: readonly string[]
}

/** One output message of a running cell, already decoded from the iopub channel. */
export type KernelOutput =
  | { readonly type: 'stream'; readonly name: 'stdout' | 'stderr'; readonly text: string }
  | {
      readonly type: 'display_data' | 'update_display_data'
      readonly data: Readonly<Record<string, unknown>>
      readonly metadata: Readonly<Record<string, unknown>>
      readonly displayId?: string
    }
  | {
      readonly type: 'execute_result'
      readonly executionCount: number | null
      readonly data: Readonly<Record<string, unknown>>
      readonly metadata: Readonly<Record<string, unknown>>
    }
  | { readonly type: 'error'; readonly ename: string; readonly evalue: string; readonly traceback: readonly string[] }
  | { readonly type: 'clear_output'; readonly wait: boolean }

/** Options of `Kernel.execute`. */
export interface ExecuteOptions {
  readonly onOutput: (output: KernelOutput) => void
  readonly signal?: AbortSignal
  /**
   * Stream characters (stdout and stderr together) delivered for this request; past it the rest is dropped
   * as it arrives, unparsed, and two notices are delivered as stderr text: one where the output was cut, one
   * with how much was dropped once the cell ends (X1). Omitted: no limit.
   */
  readonly maxStreamChars?: number
}

/** How an execute request ended. `aborted`: the kernel died, was interrupted before the cell ran, or was restarted. */
export interface ExecuteReply {
  readonly status: 'ok' | 'error' | 'aborted'
  readonly executionCount: number | null
  /** For `aborted` caused by the kernel (death, restart, shutdown): why, readable ("killed: out of memory"). */
  readonly reason?: string
}

export type KernelStatus = 'starting' | 'idle' | 'busy' | 'restarting' | 'dead'

export interface KernelEvents {
  /** Every status change. `dead` comes with a reason a person can read ("killed: out of memory", ...). */
  status: (status: KernelStatus, reason?: string) => void
}

/** A running kernel. Every method is safe to call in any status; a dead kernel rejects execute with KERNEL_DEAD. */
export interface Kernel {
  readonly id: string
  readonly spec: KernelSpecInfo
  readonly status: KernelStatus
  /** What the kernel said about itself in kernel_info_reply, once it has started. */
  readonly info?: KernelInfo
  /** Runs code; resolves when the kernel replies (outputs have all been delivered to onOutput by then). */
  execute(code: string, options: ExecuteOptions): Promise<ExecuteReply>
  /** Interrupts the running cell and kills the processes it left running (S3); the kernel itself stays. */
  interrupt(): Promise<void>
  /** How many processes besides the kernel run in its sandbox (what cells left running). */
  leftoverProcesses?(): Promise<number>
  /** Kills those processes; returns how many. */
  killLeftovers?(): Promise<number>
  restart(): Promise<void>
  shutdown(): Promise<void>
  on<E extends keyof KernelEvents>(event: E, listener: KernelEvents[E]): void
  off<E extends keyof KernelEvents>(event: E, listener: KernelEvents[E]): void
}

/** The parts of kernel_info_reply a notebook needs (language_info goes into the notebook's metadata). */
export interface KernelInfo {
  readonly implementation: string
  readonly implementationVersion: string
  readonly protocolVersion: string
  readonly banner: string
  /** `language_info` as the kernel sent it: name, version, mimetype, file_extension, codemirror_mode, ... */
  readonly languageInfo: Readonly<Record<string, unknown>>
}

/** Options for starting a kernel. */
export interface StartKernelOptions {
  /** The project's working directory: the only writable place inside the sandbox (besides a private /tmp). */
  readonly workdir: string
  readonly limits?: KernelLimits
  /** Allow network access from the kernel. Default false. */
  readonly network?: boolean
  /** Progress a person can see while the kernel starts ("starting sandbox", "waiting for kernel_info"). */
  readonly onProgress?: (message: string) => void
  readonly signal?: AbortSignal
  /** How long to wait for the kernel's first kernel_info_reply. Default 60 s (Sage needs a few seconds). */
  readonly startTimeoutMs?: number
  /** Extra environment variables for the kernel (on top of a minimal sandbox environment and the kernelspec's). */
  readonly env?: Readonly<Record<string, string>>
}

/** Starts kernels by kernelspec name, each in its own sandbox; `stopAll` kills every process group it started. */
export interface KernelLauncher {
  readonly capabilities: SandboxCapabilities
  specs(): Promise<readonly KernelSpecInfo[]>
  start(specName: string, options: StartKernelOptions): Promise<Kernel>
  stopAll(): Promise<void>
}
