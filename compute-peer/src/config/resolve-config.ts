import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { ComputeError, type ComputeErrorCode } from '../errors.js'
import { DEFAULT_COMPUTE_LISTEN, type ComputeConfig } from './compute-config.js'
import { envName, flagName, OPTIONS, type OptionSpec } from './options.js'

type Value = string | string[] | number | boolean

/** Where an option value came from, for error messages. */
interface Source {
  readonly code: ComputeErrorCode
  readonly name: (o: OptionSpec) => string
  /** Directory relative paths are resolved against. */
  readonly base: string
}

/** What the command line asked for. */
export interface ResolvedComputeCli {
  readonly help: boolean
  readonly config?: ComputeConfig
}

const BY_FLAG = new Map(OPTIONS.map((o) => [flagName(o.key), o]))
const BY_KEY = new Map(OPTIONS.map((o) => [o.key, o]))
const MIB = 1024 * 1024

function fail(source: Source, o: OptionSpec, why: string): never {
  throw new ComputeError(source.code, `${source.name(o)}: ${why}`)
}

function check(o: OptionSpec, raw: unknown, source: Source): Value {
  switch (o.kind) {
    case 'path':
      if (typeof raw !== 'string' || raw === '') fail(source, o, 'expected a non-empty path')
      return resolve(source.base, raw)
    case 'list': {
      const items = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : fail(source, o, 'expected a list of strings')
      const out: string[] = []
      for (const item of items) {
        if (typeof item !== 'string') fail(source, o, `expected strings, got ${JSON.stringify(item)}`)
        if (item.trim() !== '') out.push(item.trim())
      }
      return out
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN
      if (!Number.isSafeInteger(n)) fail(source, o, `expected a whole number, got ${JSON.stringify(raw)}`)
      if (o.min !== undefined && n < o.min) fail(source, o, `must be at least ${o.min}, got ${n}`)
      return n
    }
    case 'bool':
      if (typeof raw === 'boolean') return raw
      if (raw === 'true' || raw === '1' || raw === 'yes') return true
      if (raw === 'false' || raw === '0' || raw === 'no') return false
      return fail(source, o, `expected true or false, got ${JSON.stringify(raw)}`)
  }
}

/** Parses argv (without node and script). List flags accumulate; others keep the last value. */
export function parseFlags(argv: readonly string[], cwd: string): { help: boolean; configFile?: string; values: Map<string, Value> } {
  const source: Source = { code: 'COMPUTE_FLAG_INVALID', name: (o) => `flag ${flagName(o.key)}`, base: cwd }
  const values = new Map<string, Value>()
  let help = false
  let configFile: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--help' || arg === '-h') { help = true; continue }
    const eq = arg.indexOf('=')
    const name = eq >= 0 ? arg.slice(0, eq) : arg
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined
    if (name === '--config') {
      const v = inline ?? argv[++i]
      if (v === undefined || v === '') throw new ComputeError('COMPUTE_FLAG_INVALID', 'flag --config: expected a file path')
      configFile = resolve(cwd, v)
      continue
    }
    const o = BY_FLAG.get(name)
    if (o === undefined) throw new ComputeError('COMPUTE_FLAG_INVALID', `unknown flag ${JSON.stringify(arg)}; run quire-compute --help for the list`)
    let raw: string | undefined = inline
    if (raw === undefined && o.kind === 'bool') {
      // A bare boolean flag means true; `--flag false` is accepted too.
      const next = argv[i + 1]
      raw = next === 'true' || next === 'false' ? (i++, next) : 'true'
    }
    if (raw === undefined) raw = argv[++i]
    if (raw === undefined) throw new ComputeError('COMPUTE_FLAG_INVALID', `flag ${name}: expected a value`)
    const v = check(o, raw, source)
    const prev = values.get(o.key)
    values.set(o.key, o.kind === 'list' && Array.isArray(prev) ? [...prev, ...(v as string[])] : v)
  }
  return { help, ...(configFile !== undefined && { configFile }), values }
}

/** Reads `QUIRE_COMPUTE_*` variables; empty ones count as unset. */
export function readEnv(env: NodeJS.ProcessEnv, cwd: string): Map<string, Value> {
  const source: Source = { code: 'COMPUTE_ENV_INVALID', name: (o) => `environment variable ${envName(o.key)}`, base: cwd }
  const values = new Map<string, Value>()
  for (const o of OPTIONS) {
    const raw = env[envName(o.key)]
    if (raw !== undefined && raw !== '') values.set(o.key, check(o, raw, source))
  }
  return values
}

/** Reads and checks a JSON config file: an object whose fields are option keys. */
export function readConfigFile(path: string): Map<string, Value> {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new ComputeError('COMPUTE_CONFIG_INVALID', `config file ${path}: cannot read it as JSON (${(err as Error).message})`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ComputeError('COMPUTE_CONFIG_INVALID', `config file ${path}: expected a JSON object of options`)
  }
  const source: Source = { code: 'COMPUTE_CONFIG_INVALID', name: (o) => `config file ${path}: field ${o.key}`, base: dirname(path) }
  const values = new Map<string, Value>()
  for (const [key, raw] of Object.entries(parsed)) {
    const o = BY_KEY.get(key)
    if (o === undefined) throw new ComputeError('COMPUTE_CONFIG_INVALID', `config file ${path}: unknown field ${JSON.stringify(key)}; known fields: ${[...BY_KEY.keys()].join(', ')}`)
    values.set(key, check(o, raw, source))
  }
  return values
}

/**
 * Builds the configuration from the command line, the environment and the config file it names
 * (flags > environment > file > defaults). Throws a {@link ComputeError} naming the flag, variable, or file
 * and field at fault.
 */
export function resolveComputeConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ResolvedComputeCli {
  const flags = parseFlags(argv, cwd)
  if (flags.help) return { help: true }
  const envValues = readEnv(env, cwd)
  const configFile = flags.configFile ?? (env.QUIRE_COMPUTE_CONFIG ? resolve(cwd, env.QUIRE_COMPUTE_CONFIG) : undefined)
  const fileValues = configFile !== undefined ? readConfigFile(configFile) : new Map<string, Value>()
  const get = <T extends Value>(key: string): T | undefined => (flags.values.get(key) ?? envValues.get(key) ?? fileValues.get(key)) as T | undefined
  const positive = (n: number | undefined, unit: number): number | undefined => (n === undefined || n === 0 ? undefined : n * unit)
  const memory = positive(get<number>('kernelMemoryMb') ?? 2048, MIB)
  const cpu = positive(get<number>('kernelCpuSeconds') ?? 0, 1)
  const processes = positive(get<number>('kernelProcesses') ?? 256, 1)
  const fileSize = positive(get<number>('kernelFileSizeMb') ?? 1024, MIB)
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
    },
  }
}
