import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { jsonErrorOffset, lineAndColumn } from './json-text.js'
import { optionEnv, optionFlag, type OptionSpec, type OptionValue } from './spec.js'

/**
 * A daemon's options and how it reports bad ones. The error factory keeps each daemon's own error class
 * and codes (RELAY_FLAG_INVALID, COMPUTE_ENV_INVALID, ...), which its CLI and tests branch on.
 */
export interface DaemonOptionsSpec<C extends string> {
  /** The command, e.g. `quire-relay`, named in the unknown-flag message. */
  readonly command: string
  /** Environment variable prefix, e.g. `QUIRE_RELAY_`; `<prefix>CONFIG` names the config file. */
  readonly envPrefix: string
  readonly options: readonly OptionSpec[]
  /** The code of a bad flag, a bad variable and a bad config file. */
  readonly codes: { readonly flag: C; readonly env: C; readonly file: C }
  readonly error: (code: C, message: string) => Error
}

/** The merged options: flags > environment > file; absent ones are undefined (the daemon's default). */
export type ResolvedOptions =
  | { readonly help: true }
  | {
    readonly help: false
    readonly get: <T extends OptionValue>(key: string) => T | undefined
    /** Where `key`'s value came from, for messages about values that conflict. */
    readonly origin: (key: string) => string
  }

/** Where an option value came from, for error messages. */
interface Source<C extends string> {
  readonly code: C
  /** e.g. `flag --max-connections`, `environment variable QUIRE_RELAY_MAX_CONNECTIONS`. */
  readonly name: (o: OptionSpec) => string
  /** Directory relative paths are resolved against. */
  readonly base: string
}

function check<C extends string>(spec: DaemonOptionsSpec<C>, o: OptionSpec, raw: unknown, source: Source<C>): OptionValue {
  const fail = (why: string): never => { throw spec.error(source.code, `${source.name(o)}: ${why}`) }
  switch (o.kind) {
    case 'path':
    case 'string':
      if (typeof raw !== 'string' || raw === '') return fail(`expected a non-empty ${o.kind}`)
      return o.kind === 'path' ? resolve(source.base, raw) : raw
    case 'choice': {
      const choices = o.choices ?? []
      if (typeof raw !== 'string' || !choices.includes(raw)) {
        const quoted = choices.map((c) => `'${c}'`)
        return fail(`expected ${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}, got ${JSON.stringify(raw)}`)
      }
      return raw
    }
    case 'list': {
      const items: unknown[] = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : fail('expected a list of strings')
      const out: string[] = []
      for (const item of items) {
        if (typeof item !== 'string') return fail(`expected strings, got ${JSON.stringify(item)}`)
        if (item.trim() !== '') out.push(item.trim())
      }
      return out
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN
      if (!Number.isSafeInteger(n)) return fail(`expected a whole number, got ${JSON.stringify(raw)}`)
      if (o.min !== undefined && n < o.min) return fail(`must be at least ${o.min}, got ${n}`)
      return n
    }
    case 'bool':
      if (typeof raw === 'boolean') return raw
      if (raw === 'true' || raw === '1' || raw === 'yes') return true
      if (raw === 'false' || raw === '0' || raw === 'no') return false
      return fail(`expected true or false, got ${JSON.stringify(raw)}`)
  }
}

/** Parses argv (without node and script). List flags accumulate; others keep the last value. */
export function parseDaemonFlags<C extends string>(spec: DaemonOptionsSpec<C>, argv: readonly string[], cwd: string): { help: boolean; configFile?: string; values: Map<string, OptionValue> } {
  const flag = (key: string): string => optionFlag(spec.options, key)
  const byFlag = new Map(spec.options.map((o) => [flag(o.key), o]))
  const source: Source<C> = { code: spec.codes.flag, name: (o) => `flag ${flag(o.key)}`, base: cwd }
  const values = new Map<string, OptionValue>()
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
      if (v === undefined || v === '') throw spec.error(spec.codes.flag, 'flag --config: expected a file path')
      configFile = resolve(cwd, v)
      continue
    }
    const o = byFlag.get(name)
    if (o === undefined) throw spec.error(spec.codes.flag, `unknown flag ${JSON.stringify(arg)}; run ${spec.command} --help for the list`)
    let raw: string | undefined = inline
    if (raw === undefined && o.kind === 'bool') {
      // A bare boolean flag means true; `--flag false` is accepted too.
      const next = argv[i + 1]
      raw = next === 'true' || next === 'false' ? (i++, next) : 'true'
    }
    if (raw === undefined) raw = argv[++i]
    if (raw === undefined) throw spec.error(spec.codes.flag, `flag ${name}: expected a value`)
    const v = check(spec, o, raw, source)
    const prev = values.get(o.key)
    values.set(o.key, o.kind === 'list' && Array.isArray(prev) ? [...prev, ...(v as string[])] : v)
  }
  return { help, ...(configFile !== undefined && { configFile }), values }
}

/** Reads `<prefix>*` variables; empty ones count as unset. */
export function readDaemonEnv<C extends string>(spec: DaemonOptionsSpec<C>, env: NodeJS.ProcessEnv, cwd: string): Map<string, OptionValue> {
  const source: Source<C> = { code: spec.codes.env, name: (o) => `environment variable ${optionEnv(spec.envPrefix, o.key)}`, base: cwd }
  const values = new Map<string, OptionValue>()
  for (const o of spec.options) {
    const raw = env[optionEnv(spec.envPrefix, o.key)]
    if (raw !== undefined && raw !== '') values.set(o.key, check(spec, o, raw, source))
  }
  return values
}

/** `config file <path>: field <key> (line N)`: the first line with `"key":`, so the operator knows where to look. */
function fieldName(path: string, text: string, key: string): string {
  const at = new RegExp(`"${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:`).exec(text)
  return `config file ${path}: field ${key}${at === null ? '' : ` (line ${lineAndColumn(text, at.index).line})`}`
}

/** Reads and checks a JSON config file: an object whose fields are option keys. */
export function readDaemonConfigFile<C extends string>(spec: DaemonOptionsSpec<C>, path: string): { values: Map<string, OptionValue>; name: (key: string) => string } {
  const code = spec.codes.file
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw spec.error(code, `config file ${path}: cannot read it (${(err as Error).message})`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    const { line, column } = lineAndColumn(text, jsonErrorOffset(text))
    // V8's message repeats the text or a position; the line and column say it better.
    const reason = (err as Error).message.replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '')
    throw spec.error(code, `config file ${path}:${line}:${column}: not valid JSON (${reason}); fix line ${line}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw spec.error(code, `config file ${path}: expected a JSON object of options`)
  }
  const name = (key: string): string => fieldName(path, text, key)
  const source: Source<C> = { code, name: (o) => name(o.key), base: dirname(path) }
  const byKey = new Map(spec.options.map((o) => [o.key, o]))
  const values = new Map<string, OptionValue>()
  for (const [key, raw] of Object.entries(parsed)) {
    const o = byKey.get(key)
    if (o === undefined) throw spec.error(code, `${name(key)}: unknown field ${JSON.stringify(key)}; known fields: ${[...byKey.keys()].join(', ')}`)
    values.set(key, check(spec, o, raw, source))
  }
  return { values, name }
}

/**
 * Merges the command line, the environment and the config file it names (flags > environment > file);
 * the daemon applies its defaults. Throws the daemon's error naming the flag, variable, or file and field.
 */
export function resolveDaemonOptions<C extends string>(spec: DaemonOptionsSpec<C>, argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): ResolvedOptions {
  const flags = parseDaemonFlags(spec, argv, cwd)
  if (flags.help) return { help: true }
  const envValues = readDaemonEnv(spec, env, cwd)
  const fromEnv = env[spec.envPrefix + 'CONFIG']
  const configFile = flags.configFile ?? (fromEnv ? resolve(cwd, fromEnv) : undefined)
  const file = configFile !== undefined ? readDaemonConfigFile(spec, configFile) : undefined
  const origin = (key: string): string =>
    flags.values.has(key) ? `flag ${optionFlag(spec.options, key)}`
      : envValues.has(key) ? `environment variable ${optionEnv(spec.envPrefix, key)}`
        : file?.name(key) ?? `default of ${key}`
  const get = <T extends OptionValue>(key: string): T | undefined =>
    (flags.values.get(key) ?? envValues.get(key) ?? file?.values.get(key)) as T | undefined
  return { help: false, get, origin }
}
