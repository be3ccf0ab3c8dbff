import { envName, flagName, OPTIONS } from './options.js'

/** The text of `quire-compute --help`, generated from the option table. */
export function helpText(): string {
  const lines = [
    'Usage: quire-compute [options]',
    '',
    'Runs a Quire compute peer: it joins the network, and for each project it serves (listed with --project,',
    'and whose grants give it the compute role) runs the notebook cells members queue, on sandboxed Jupyter',
    'kernels, writing outputs back into the shared notebooks.',
    '',
    'Each option is taken from, in order of precedence: its flag, its environment variable, the config file',
    '(a JSON object whose fields are the names in brackets), the default. List options repeat as flags and',
    'are comma-separated in environment variables.',
    '',
    'Options:',
    '  --config <file>  [QUIRE_COMPUTE_CONFIG]',
    '      JSON config file; relative paths in it are relative to the file.',
  ]
  for (const o of OPTIONS) {
    const value = o.kind === 'bool' ? '' : ' ' + (o.placeholder ?? (o.kind === 'int' ? '<n>' : '<dir>'))
    lines.push(`  ${flagName(o.key)}${value}  [${envName(o.key)}] [${o.key}]`)
    lines.push(`      ${o.help} Default: ${o.shownDefault}.`)
  }
  lines.push('  --help', '      Print this help and exit.')
  lines.push('', 'Signals: SIGTERM and SIGINT shut every kernel down, write the notebooks to disk, then exit 0.', '')
  return lines.join('\n')
}
