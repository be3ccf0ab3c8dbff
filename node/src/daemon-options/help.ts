import { optionEnv, optionFlag, type OptionSpec } from './spec.js'

/** What a daemon says about itself in `--help`; the option list is generated from its table. */
export interface HelpSpec {
  /** The command, e.g. `quire-relay`. */
  readonly command: string
  /** Environment variable prefix, e.g. `QUIRE_RELAY_`. */
  readonly envPrefix: string
  readonly options: readonly OptionSpec[]
  /** Paragraph lines after the usage line. */
  readonly description: readonly string[]
  /** Lines after the option list (e.g. what signals do). */
  readonly footer: readonly string[]
}

function placeholder(o: OptionSpec): string {
  if (o.placeholder !== undefined) return o.placeholder
  if (o.kind === 'int') return '<n>'
  if (o.kind === 'choice') return `<${(o.choices ?? []).join('|')}>`
  return o.kind === 'string' ? '<value>' : '<dir>'
}

/** The text of `<command> --help`. */
export function renderDaemonHelp(spec: HelpSpec): string {
  const lines = [
    `Usage: ${spec.command} [options]`,
    '',
    ...spec.description,
    '',
    'Each option is taken from, in order of precedence: its flag, its environment variable, the config file',
    '(a JSON object whose fields are the names in brackets), the default. List options repeat as flags and',
    'are comma-separated in environment variables.',
    '',
    'Options:',
    `  --config <file>  [${spec.envPrefix}CONFIG]`,
    '      JSON config file; relative paths in it are relative to the file.',
  ]
  for (const o of spec.options) {
    const value = o.kind === 'bool' ? '' : ' ' + placeholder(o)
    lines.push(`  ${optionFlag(spec.options, o.key)}${value}  [${optionEnv(spec.envPrefix, o.key)}] [${o.key}]`)
    lines.push(`      ${o.help} Default: ${o.shownDefault ?? 'none'}.`)
  }
  lines.push('  --help', '      Print this help and exit.')
  lines.push('', ...spec.footer, '')
  return lines.join('\n')
}
