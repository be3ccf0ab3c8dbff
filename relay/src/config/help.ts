import { envName, flagName, OPTIONS } from './options.js'

/** The text of `quire-relay --help`, generated from the option table. */
export function helpText(): string {
  const lines = [
    'Usage: quire-relay [options]',
    '',
    'Runs a Quire relay: a libp2p relay (circuit relay v2, DHT server) that keeps a durable replica of the',
    'documents it hosts and syncs them with any member who connects.',
    '',
    'Each option is taken from, in order of precedence: its flag, its environment variable, the config file',
    '(a JSON object whose fields are the names in brackets), the default. List options repeat as flags and',
    'are comma-separated in environment variables.',
    '',
    'Options:',
    `  --config <file>  [QUIRE_RELAY_CONFIG]`,
    '      JSON config file; relative paths in it are relative to the file.',
  ]
  for (const o of OPTIONS) {
    const value = o.kind === 'bool' ? '' : ' ' + (o.placeholder ?? (o.kind === 'int' ? '<n>' : o.kind === 'hosting' ? '<grants|allowlist|open>' : '<dir>'))
    lines.push(`  ${flagName(o.key)}${value}  [${envName(o.key)}] [${o.key}]`)
    lines.push(`      ${o.help} Default: ${o.shownDefault ?? 'none'}.`)
  }
  lines.push('  --help', '      Print this help and exit.')
  lines.push('', 'Signals: SIGTERM and SIGINT flush every document to disk, then exit 0.', '')
  return lines.join('\n')
}
