import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import { readJsonFile } from '../config/json-file.js'
import { QuireCliError } from '../errors.js'
import { quireBuild } from '../launcher/paths.js'
import type { CommandIo } from './io.js'

/**
 * `quire relay ...` and `quire compute ...`: run the daemon's own CLI with the same arguments (its own
 * `--help`, flags and config file). A child process, because bootstrap must not import the daemons.
 * It gets its own process group and every signal once, from here: a Ctrl-C would otherwise reach it twice
 * (from the terminal and from us), and a second SIGINT kills a relay that is still writing to disk.
 */
export async function runDaemon(which: 'relay' | 'compute', argv: readonly string[], io: CommandIo): Promise<number> {
  const build = quireBuild()
  const cli = which === 'relay' ? build.relayCli : build.computeCli
  if (!existsSync(cli)) {
    throw new QuireCliError('QUIRE_BUILD_MISSING', `the ${which === 'relay' ? 'relay' : 'compute peer'} is not built (${relative(io.cwd, cli)} is missing): run \`npm run build\` in ${build.root}`)
  }
  checkConfigSyntax(which, argv, io)
  const child = spawn(process.execPath, [cli, ...argv], { cwd: io.cwd, env: io.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true })
  child.channel?.unref()
  const forward = (signal: NodeJS.Signals): void => { child.kill(signal) }
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
  for (const s of signals) process.on(s, forward)
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (err) => reject(new QuireCliError('QUIRE_DAEMON_FAILED', `cannot start ${cli}: ${err.message}`)))
      child.once('exit', (code, signal) => resolve(code ?? (signal !== null ? 128 + signalNumber(signal) : 1)))
    })
  } finally {
    for (const s of signals) process.off(s, forward)
  }
}

/**
 * The daemons report a config file that is not JSON with V8's character position; we name the line and
 * column first. Field errors are theirs to report (they name the file and field).
 */
function checkConfigSyntax(which: 'relay' | 'compute', argv: readonly string[], io: CommandIo): void {
  let file = io.env[which === 'relay' ? 'QUIRE_RELAY_CONFIG' : 'QUIRE_COMPUTE_CONFIG'] || undefined
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config') file = argv[i + 1]
    else if (argv[i]!.startsWith('--config=')) file = argv[i]!.slice('--config='.length)
  }
  if (file !== undefined && file !== '') readJsonFile(resolve(io.cwd, file), 'config file')
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Partial<Record<NodeJS.Signals, number>>)[signal] ?? 0
}
