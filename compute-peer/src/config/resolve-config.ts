import { resolve } from 'node:path'
import { resolveDaemonOptions, type DaemonOptionsSpec } from '@quire/node'
import { ComputeError, type ComputeErrorCode } from '../errors.js'
import { DEFAULT_COMPUTE_LISTEN, type ComputeConfig } from './compute-config.js'
import { ENV_PREFIX, OPTIONS } from './options.js'

/** What the command line asked for. */
export interface ResolvedComputeCli {
  readonly help: boolean
  readonly config?: ComputeConfig
}

const MIB = 1024 * 1024

/** The compute peer's options for the shared parser; bad values become ComputeErrors with its codes. */
const SPEC: DaemonOptionsSpec<ComputeErrorCode> = {
  command: 'quire-compute',
  envPrefix: ENV_PREFIX,
  options: OPTIONS,
  codes: { flag: 'COMPUTE_FLAG_INVALID', env: 'COMPUTE_ENV_INVALID', file: 'COMPUTE_CONFIG_INVALID' },
  error: (code, message) => new ComputeError(code, message),
}

/**
 * Builds the configuration from the command line, the environment and the config file it names
 * (flags > environment > file > defaults). Throws a {@link ComputeError} naming the flag, variable, or file
 * and field at fault.
 */
export function resolveComputeConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ResolvedComputeCli {
  const options = resolveDaemonOptions(SPEC, argv, env, cwd)
  if (options.help) return { help: true }
  const get = options.get
  const positive = (n: number | undefined, unit: number): number | undefined => (n === undefined || n === 0 ? undefined : n * unit)
  const memory = positive(get<number>('kernelMemoryMb') ?? 2048, MIB)
  const cpu = positive(get<number>('kernelCpuSeconds') ?? 0, 1)
  const processes = positive(get<number>('kernelProcesses') ?? 256, 1)
  const fileSize = positive(get<number>('kernelFileSizeMb') ?? 1024, MIB)
  const interval = get<number>('snapshotIntervalSeconds')
  const quota = positive(get<number>('workspaceQuotaMb'), MIB)
  const budget = positive(get<number>('snapshotBudgetMb'), MIB)
  const snapshots = {
    ...(interval !== undefined && { intervalMs: interval * 1000 }),
    ...(quota !== undefined && { quotaBytes: quota }),
    ...(budget !== undefined && { budgetBytes: budget }),
  }
  const latexTimeout = get<number>('latexTimeoutSeconds')
  const latexKill = get<number>('latexKillSeconds')
  const latexFile = get<number>('latexFileSizeMb')
  const latex = {
    ...(latexTimeout !== undefined && { timeoutMs: latexTimeout * 1000 }),
    ...(latexKill !== undefined && { killMs: latexKill * 1000 }),
    ...(latexFile !== undefined && { fileSizeBytes: latexFile * MIB }),
  }
  return {
    help: false,
    config: {
      dataDir: get<string>('dataDir') ?? resolve(cwd, 'quire-compute-data'),
      listen: get<string[]>('listen') ?? [...DEFAULT_COMPUTE_LISTEN],
      bootstrap: get<string[]>('bootstrap') ?? [],
      projects: get<string[]>('projects') ?? [],
      maxKernels: get<number>('maxKernels') ?? 4,
      limits: {
        ...(memory !== undefined && { memoryBytes: memory }),
        ...(cpu !== undefined && { cpuSeconds: cpu }),
        ...(processes !== undefined && { processes }),
        ...(fileSize !== undefined && { fileSizeBytes: fileSize }),
      },
      idleTimeoutMs: (get<number>('idleTimeoutSeconds') ?? 1800) * 1000,
      allowNetwork: get<boolean>('allowNetwork') ?? false,
      allowLoopback: get<boolean>('allowLoopback') ?? false,
      unsafeNoSandbox: get<boolean>('unsafeNoSandbox') ?? false,
      ...(get<string>('sandboxUser') !== undefined && { sandboxUser: get<string>('sandboxUser')! }),
      ...(Object.keys(snapshots).length > 0 && { snapshots }),
      ...(Object.keys(latex).length > 0 && { latex }),
      ...(get<number>('replicaPushSeconds') !== undefined && { replicaPushMs: get<number>('replicaPushSeconds')! * 1000 }),
    },
  }
}
