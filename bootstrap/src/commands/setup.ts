import { spawnSync } from 'node:child_process'
import { commandHelp, parseFlags, type CommandSpec } from '../cli/flags.js'
import { QuireCliError } from '../errors.js'
import { detectSystemFeatures, type FeatureStatus } from '../system/detect.js'
import { SYSTEM_FEATURES } from '../system/features.js'
import { installCommand, packagesOf, runningAsRoot } from '../system/install-command.js'
import { isDebianLike, readOsRelease } from '../system/os-release.js'
import type { CommandIo } from './io.js'

export const SETUP_COMMAND: CommandSpec = {
  name: 'setup',
  usage: 'quire setup [options]',
  summary: 'install the system packages a compute peer uses (Debian/Ubuntu, as root)',
  description: [
    'Checks which system packages a compute peer can use are missing here (Python kernel, matplotlib,',
    'bubblewrap, LaTeX, btrfs-progs; SageMath with --with-sage) and installs them with apt-get when run as',
    'root on Debian or Ubuntu. Otherwise it prints the exact command to run.',
    '',
    ...SYSTEM_FEATURES.map((f) => `  ${f.packages.join(' ')}: ${f.gives}${f.optional === true ? ' (only with --with-sage)' : ''}`),
  ],
  flags: [
    { key: 'withSage', kind: 'bool', help: 'Also install SageMath and its Jupyter kernel (about 1.5 GB).', shownDefault: 'false' },
    { key: 'dryRun', kind: 'bool', help: 'Say what is missing and print the command, install nothing.', shownDefault: 'false' },
  ],
}

function report(io: CommandIo, statuses: readonly FeatureStatus[]): void {
  for (const s of statuses) {
    io.stdout(`  ${s.present ? 'ok     ' : 'missing'}  ${s.feature.packages.join(' ')}: ${s.feature.gives}${s.reason !== undefined ? ` (${s.reason})` : ''}\n`)
  }
}

/** `quire setup`. */
export async function runSetup(argv: readonly string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(SETUP_COMMAND, argv)
  if (flags.help) { io.stdout(commandHelp(SETUP_COMMAND)); return 0 }
  const withSage = flags.values.get('withSage') === true
  const features = SYSTEM_FEATURES.filter((f) => f.optional !== true || withSage)
  const statuses = await detectSystemFeatures({ features, env: io.env })
  report(io, statuses)
  const missing = statuses.filter((s) => !s.present)
  if (missing.length === 0) {
    io.stdout('Everything a compute peer uses is installed.\n')
    return 0
  }
  const packages = packagesOf(missing)
  const asRoot = runningAsRoot()
  const command = installCommand(packages, asRoot)
  const os = readOsRelease()
  if (!isDebianLike(os)) {
    throw new QuireCliError('QUIRE_SETUP_UNSUPPORTED',
      `quire setup installs packages on Debian and Ubuntu only, and this is ${os?.prettyName ?? 'not Linux'}. Install the equivalents of: ${packages.join(' ')}`)
  }
  if (flags.values.get('dryRun') === true) {
    io.stdout(`Would run: ${command}\n`)
    return 0
  }
  if (!asRoot) {
    io.stderr(`quire setup: installing needs root. Run:\n  ${command}\nor run \`quire setup\` as root.\n`)
    return 1
  }
  io.stdout(`Running: ${command}\n`)
  const env = { ...io.env, DEBIAN_FRONTEND: 'noninteractive' }
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...packages]]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env })
    if (r.status !== 0) {
      throw new QuireCliError('QUIRE_SETUP_FAILED', `apt-get ${args[0]} failed (${r.error?.message ?? `exit status ${r.status}`}); fix what it said above and run \`quire setup\` again`)
    }
  }
  const after = await detectSystemFeatures({ features, env: io.env })
  const still = after.filter((s) => !s.present)
  if (still.length > 0) {
    report(io, still)
    throw new QuireCliError('QUIRE_SETUP_FAILED', `installed, but these still do not work: ${still.map((s) => s.reason).join('; ')}`)
  }
  io.stdout('Done: everything a compute peer uses is installed. Restart `npm start` (or the compute peer) to offer it.\n')
  return 0
}
