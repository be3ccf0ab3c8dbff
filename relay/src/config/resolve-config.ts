import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { RelayError, type RelayErrorCode } from '../errors.js'
import { envName, flagName, OPTIONS, type OptionSpec } from './options.js'
import { DEFAULT_LIMITS, DEFAULT_LISTEN, type RelayConfig } from './relay-config.js'

/** A checked option value. */
type Value = string | string[] | number | boolean

/** Where an option value came from, for error messages. */
interface Source {
  code: RelayErrorCode
  /** e.g. `flag --max-connections`, `QUIRE_RELAY_MAX_CONNECTIONS`, `/etc/relay.json: field maxConnections`. */
  name: (o: OptionSpec) => string
  /** Directory relative paths are resolved against. */
  base: string
}

/** What the command line asked for. */
export interface ResolvedCli {
  help: boolean
  config?: RelayConfig
}

const BY_FLAG = new Map(OPTIONS.map((o) => [flagName(o.key), o]))
const BY_KEY = new Map(OPTIONS.map((o) => [o.key, o]))

function fail(source: Source, o: OptionSpec, why: string): never {
  throw new RelayError(source.code, `${source.name(o)}: ${why}`)
}

/** Checks one raw value (a string from a flag or variable, any JSON value from the file). */
function check(o: OptionSpec, raw: unknown, source: Source): Value {
  switch (o.kind) {
    case 'path':
    case 'string': {
      if (typeof raw !== 'string' || raw === '') fail(source, o, 'expected a non-empty string')
      return o.kind === 'path' ? resolve(source.base, raw) : raw
    }
    case 'hosting':
      if (raw !== 'grants' && raw !== 'allowlist' && raw !== 'open') fail(source, o, `expected 'grants', 'allowlist' or 'open', got ${JSON.stringify(raw)}`)
      return raw
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
    case 'bool': {
      if (typeof raw === 'boolean') return raw
      if (raw === 'true' || raw === '1' || raw === 'yes') return true
      if (raw === 'false' || raw === '0' || raw === 'no') return false
      return fail(source, o, `expected true or false, got ${JSON.stringify(raw)}`)
    }
  }
}

/** Parses argv (without node and script). List flags accumulate; others keep the last value. */
export function parseFlags(argv: readonly string[], cwd: string): { help: boolean; configFile?: string; values: Map<string, Value> } {
  const source: Source = { code: 'RELAY_FLAG_INVALID', name: (o) => `flag ${flagName(o.key)}`, base: cwd }
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
      if (v === undefined || v === '') throw new RelayError('RELAY_FLAG_INVALID', 'flag --config: expected a file path')
      configFile = resolve(cwd, v)
      continue
    }
    const o = BY_FLAG.get(name)
    if (o === undefined) {
      throw new RelayError('RELAY_FLAG_INVALID', `unknown flag ${JSON.stringify(arg)}; run quire-relay --help for the list`)
    }
    let raw: string | undefined = inline
    if (raw === undefined && o.kind === 'bool') {
      // A bare boolean flag means true; `--flag false` is accepted too.
      const next = argv[i + 1]
      raw = next === 'true' || next === 'false' ? (i++, next) : 'true'
    }
    if (raw === undefined) raw = argv[++i]
    if (raw === undefined) throw new RelayError('RELAY_FLAG_INVALID', `flag ${name}: expected a value`)
    const v = check(o, raw, source)
    const prev = values.get(o.key)
    values.set(o.key, o.kind === 'list' && Array.isArray(prev) ? [...prev, ...(v as string[])] : v)
  }
  return { help, ...(configFile !== undefined && { configFile }), values }
}

/** Reads `QUIRE_RELAY_*` variables; empty ones count as unset. */
export function readEnv(env: NodeJS.ProcessEnv, cwd: string): Map<string, Value> {
  const source: Source = { code: 'RELAY_ENV_INVALID', name: (o) => `environment variable ${envName(o.key)}`, base: cwd }
  const values = new Map<string, Value>()
  for (const o of OPTIONS) {
    const raw = env[envName(o.key)]
    if (raw !== undefined && raw !== '') values.set(o.key, check(o, raw, source))
  }
  return values
}

/** Reads and checks a JSON config file: an object whose fields are option keys. */
export function readConfigFile(path: string): Map<string, Value> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new RelayError('RELAY_CONFIG_INVALID', `config file ${path}: cannot read it (${(err as Error).message})`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new RelayError('RELAY_CONFIG_INVALID', `config file ${path}: not valid JSON (${(err as Error).message})`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RelayError('RELAY_CONFIG_INVALID', `config file ${path}: expected a JSON object of options`)
  }
  const source: Source = { code: 'RELAY_CONFIG_INVALID', name: (o) => `config file ${path}: field ${o.key}`, base: dirname(path) }
  const values = new Map<string, Value>()
  for (const [key, raw] of Object.entries(parsed)) {
    const o = BY_KEY.get(key)
    if (o === undefined) {
      throw new RelayError('RELAY_CONFIG_INVALID', `config file ${path}: unknown field ${JSON.stringify(key)}; known fields: ${[...BY_KEY.keys()].join(', ')}`)
    }
    values.set(key, check(o, raw, source))
  }
  return values
}

/**
 * Builds the relay's configuration from the command line, the environment and the config file it names
 * (flags > environment > file > defaults). Throws a {@link RelayError} naming the flag, variable, or file
 * and field at fault.
 */
export function resolveRelayConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ResolvedCli {
  const flags = parseFlags(argv, cwd)
  if (flags.help) return { help: true }
  const envValues = readEnv(env, cwd)
  const configFile = flags.configFile ?? (env.QUIRE_RELAY_CONFIG ? resolve(cwd, env.QUIRE_RELAY_CONFIG) : undefined)
  const fileValues = configFile !== undefined ? readConfigFile(configFile) : new Map<string, Value>()
  const origin = (key: string): string =>
    flags.values.has(key) ? `flag ${flagName(key)}` : envValues.has(key) ? `environment variable ${envName(key)}` : `config file ${configFile}: field ${key}`
  const get = <T extends Value>(key: string): T | undefined =>
    (flags.values.get(key) ?? envValues.get(key) ?? fileValues.get(key)) as T | undefined
  return { help: false, config: buildConfig(get, origin, cwd) }
}

function buildConfig(get: <T extends Value>(key: string) => T | undefined, origin: (key: string) => string, cwd: string): RelayConfig {
  const mode = get<'grants' | 'allowlist' | 'open'>('hosting') ?? 'grants'
  const allow = get<string[]>('allow') ?? []
  const allowProject = get<string[]>('allowProject') ?? []
  if (mode === 'open') {
    for (const key of ['allow', 'allowProject'] as const) {
      if ((get<string[]>(key) ?? []).length > 0) {
        throw new RelayError('RELAY_CONFIG_CONFLICT', `${origin(key)} lists documents, but hosting is 'open' (${origin('hosting')}): remove the list, or use hosting 'grants' or 'allowlist'`)
      }
    }
  }
  const limit = (key: keyof typeof DEFAULT_LIMITS): number => get<number>(key) ?? DEFAULT_LIMITS[key]
  const staticRoot = get<string>('staticRoot')
  const webConfigPath = get<string>('webConfig')
  const webConfig = webConfigPath === undefined ? undefined : readWebConfig(webConfigPath, origin('webConfig'))
  return {
    dataDir: get<string>('dataDir') ?? resolve(cwd, 'quire-relay-data'),
    listen: get<string[]>('listen') ?? [...DEFAULT_LISTEN],
    announce: get<string[]>('announce') ?? [],
    bootstrap: get<string[]>('bootstrap') ?? [],
    peers: get<string[]>('peers') ?? [],
    hosting: mode === 'open'
      ? { mode, maxDocumentsPerPeer: get<number>('maxDocsPerPeer') ?? 100, maxBytesPerPeer: get<number>('maxBytesPerPeer') ?? 100 * 1024 * 1024 }
      : { mode, documents: allow, projects: allowProject },
    limits: {
      maxConnections: limit('maxConnections'),
      inboundConnectionThreshold: limit('inboundConnectionThreshold'),
      maxIncomingPendingConnections: limit('maxIncomingPendingConnections'),
      maxLoadedDocuments: limit('maxLoadedDocuments'),
      idleUnloadMs: limit('idleUnloadMs'),
      maxReservations: limit('maxReservations'),
      reservationTtlMs: limit('reservationTtlMs'),
      relayedConnectionDurationMs: limit('relayedConnectionDurationMs'),
      relayedConnectionDataBytes: limit('relayedConnectionDataBytes'),
      maxFrameBytes: limit('maxFrameBytes'),
    },
    ...(staticRoot !== undefined && { staticRoot }),
    ...(webConfig !== undefined && { webConfig }),
    allowLoopback: get<boolean>('allowLoopback') ?? false,
  }
}

/** Reads the `--web-config` file: a JSON object, served in `/quire.json` (its `relay` field is the relay's own). */
function readWebConfig(path: string, origin: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new RelayError('RELAY_CONFIG_INVALID', `${origin}: cannot read ${path} as JSON (${(err as Error).message})`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RelayError('RELAY_CONFIG_INVALID', `${origin}: ${path} must hold a JSON object, e.g. {"autoGrant": []}`)
  }
  if ('relay' in parsed) throw new RelayError('RELAY_CONFIG_INVALID', `${origin}: ${path} must not set "relay": /quire.json fills it with this relay's own peer id and addresses`)
  return parsed as Record<string, unknown>
}
