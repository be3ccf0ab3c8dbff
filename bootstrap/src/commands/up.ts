import { commandHelp, parseFlags, type CommandSpec } from '../cli/flags.js'
import { readUpConfig } from '../config/up-config.js'
import { runLocalNetwork } from '../launcher/local-network.js'
import { DEFAULT_DATA_DIR } from '../launcher/paths.js'
import { DEFAULT_BASE_PORT } from '../launcher/ports.js'
import type { CommandIo } from './io.js'

export const UP_COMMAND: CommandSpec = {
  name: 'up',
  usage: 'quire up [options]',
  summary: 'start a local network: a relay serving the web app, and a compute peer (what `npm start` runs)',
  description: [
    'Starts a relay (which serves the web app) and a compute peer on 127.0.0.1, keeps their identities and',
    'documents under the data directory, prints the URL to open, and stops both on Ctrl-C. The next start',
    'reuses the same data and peer IDs. Missing system packages (kernels, LaTeX, bubblewrap, btrfs-progs)',
    'never stop the start: it says what is missing and the command that adds it.',
    '',
    'Flags override the config file (a JSON object whose fields are the names in brackets).',
  ],
  flags: [
    { key: 'config', kind: 'string', placeholder: '<file>', help: 'JSON config file with the fields [dataDir], [port], [compute].' },
    { key: 'dataDir', kind: 'string', placeholder: '<dir>', help: '[dataDir] Where identities and documents live.', shownDefault: `${DEFAULT_DATA_DIR} in the current directory` },
    { key: 'port', kind: 'int', min: 1, max: 65533, help: '[port] First of three ports on 127.0.0.1: relay TCP n, relay WebSocket and web app n+1, compute peer n+2.', shownDefault: String(DEFAULT_BASE_PORT) },
    { key: 'compute', kind: 'bool', help: '[compute] Start the compute peer (--no-compute for a relay and web app only).', shownDefault: 'true' },
    { key: 'verbose', kind: 'bool', help: 'Show every line the daemons log, including the routine refusals of documents a peer asks for before their project is hosted.', shownDefault: 'false' },
  ],
}

/** `quire up`. Returns the exit status; stops on SIGINT or SIGTERM (a second one kills at once). */
export async function runUp(argv: readonly string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(UP_COMMAND, argv)
  if (flags.help) { io.stdout(commandHelp(UP_COMMAND)); return 0 }
  const fromFile = typeof flags.values.get('config') === 'string' ? readUpConfig(flags.values.get('config') as string, io.cwd) : {}
  const dataDir = (flags.values.get('dataDir') as string | undefined) ?? fromFile.dataDir ?? DEFAULT_DATA_DIR
  const port = (flags.values.get('port') as number | undefined) ?? fromFile.port ?? DEFAULT_BASE_PORT
  const compute = (flags.values.get('compute') as boolean | undefined) ?? fromFile.compute ?? true
  const controller = new AbortController()
  let signals = 0
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++
    if (signals === 1) { controller.abort(); return }
    io.stderr(`quire up: ${signal} again: exiting without waiting for the daemons (they stop when they notice)\n`)
    process.exit(130)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    const verbose = flags.values.get('verbose') === true
    return await runLocalNetwork({ dataDir, basePort: port, compute, verbose, cwd: io.cwd, out: (line) => io.stdout(line + '\n') }, controller.signal)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
