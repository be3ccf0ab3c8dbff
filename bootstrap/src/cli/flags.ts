import { QuireCliError } from '../errors.js'

/** One flag of a `quire` command. */
export interface FlagSpec {
  /** camelCase key; the flag is its kebab-case (`dataDir` -> `--data-dir`). */
  key: string
  kind: 'string' | 'int' | 'bool'
  help: string
  /** How the value is shown in `--help`, e.g. `<dir>`. */
  placeholder?: string
  /** The default as shown in `--help`. */
  shownDefault?: string
  min?: number
  max?: number
}

/** A `quire` command's name, help text and flags. */
export interface CommandSpec {
  name: string
  usage: string
  summary: string
  /** Paragraph lines shown after the usage line. */
  description: readonly string[]
  flags: readonly FlagSpec[]
}

export type FlagValue = string | number | boolean

/** What the command line said: `--help`, and the flags given (absent ones are not in `values`). */
export interface ParsedFlags {
  help: boolean
  values: Map<string, FlagValue>
}

export function flagOf(key: string): string {
  return '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())
}

/** Checks one flag value and converts it to the flag's kind. */
function check(spec: FlagSpec, raw: string, command: string): FlagValue {
  const name = `quire ${command} ${flagOf(spec.key)}`
  switch (spec.kind) {
    case 'string':
      if (raw === '') throw new QuireCliError('QUIRE_FLAG_INVALID', `${name}: expected a value, got an empty string`)
      return raw
    case 'int': {
      const n = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN
      const range = `${spec.min ?? 0} to ${spec.max ?? Number.MAX_SAFE_INTEGER}`
      if (!Number.isSafeInteger(n) || (spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw new QuireCliError('QUIRE_FLAG_INVALID', `${name}: expected a whole number from ${range}, got ${JSON.stringify(raw)}`)
      }
      return n
    }
    case 'bool':
      if (['true', '1', 'yes'].includes(raw)) return true
      if (['false', '0', 'no'].includes(raw)) return false
      throw new QuireCliError('QUIRE_FLAG_INVALID', `${name}: expected true or false, got ${JSON.stringify(raw)}`)
  }
}

/**
 * Parses `argv` against a command's flags: `--flag value`, `--flag=value`, bare booleans, `--no-<bool>`.
 * An unknown flag or a stray argument is an error that names it and points at `--help`.
 */
export function parseFlags(spec: CommandSpec, argv: readonly string[]): ParsedFlags {
  const byFlag = new Map(spec.flags.map((f) => [flagOf(f.key), f]))
  const values = new Map<string, FlagValue>()
  let help = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--help' || arg === '-h') { help = true; continue }
    const eq = arg.indexOf('=')
    const name = eq >= 0 ? arg.slice(0, eq) : arg
    let raw: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined
    const f = byFlag.get(name)
    if (f === undefined && name.startsWith('--no-') && raw === undefined) {
      const positive = byFlag.get('--' + name.slice(5))
      if (positive?.kind === 'bool') { values.set(positive.key, false); continue }
    }
    if (f === undefined) {
      const what = arg.startsWith('-') ? `unknown flag ${JSON.stringify(name)}` : `unexpected argument ${JSON.stringify(arg)}`
      throw new QuireCliError('QUIRE_FLAG_INVALID', `quire ${spec.name}: ${what}; run \`quire ${spec.name} --help\` for the flags it takes`)
    }
    if (raw === undefined && f.kind === 'bool') {
      const next = argv[i + 1]
      raw = next === 'true' || next === 'false' ? (i++, next) : 'true'
    }
    if (raw === undefined) {
      raw = argv[++i]
      if (raw === undefined || raw.startsWith('--')) {
        throw new QuireCliError('QUIRE_FLAG_INVALID', `quire ${spec.name} ${name}: expected a value ${f.placeholder ?? ''} after it`.trimEnd())
      }
    }
    values.set(f.key, check(f, raw, spec.name))
  }
  return { help, values }
}

/** `quire <command> --help`, generated from the same table the parser uses. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage: ${spec.usage}`, '', ...spec.description, '']
  if (spec.flags.length > 0) lines.push('Options:')
  for (const f of spec.flags) {
    const value = f.kind === 'bool' ? '' : ' ' + (f.placeholder ?? (f.kind === 'int' ? '<n>' : '<value>'))
    lines.push(`  ${flagOf(f.key)}${value}`, `      ${f.help}${f.shownDefault !== undefined ? ` Default: ${f.shownDefault}.` : ''}`)
  }
  lines.push('  --help', '      Print this help and exit.', '')
  return lines.join('\n')
}
