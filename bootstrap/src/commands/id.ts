import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { commandHelp, parseFlags, type CommandSpec } from '../cli/flags.js'
import { peerIdOfDataDir } from '../launcher/identities.js'
import { readNetworkState } from '../launcher/network-files.js'
import { DEFAULT_DATA_DIR, networkLayout } from '../launcher/paths.js'
import type { CommandIo } from './io.js'

export const ID_COMMAND: CommandSpec = {
  name: 'id',
  usage: 'quire id [options]',
  summary: "print a peer's ID (creating its key if needed) and, while it runs, its addresses",
  description: [
    'Loads the identity key of a data directory (<dir>/identity.key), creating it if there is none, and',
    'prints the peer ID; while `quire up` runs on it, also the pid and listen addresses.',
    'A local network directory (made by `quire up`, default .quire) holds two peers: relay/ and compute/.',
  ],
  flags: [
    { key: 'dataDir', kind: 'string', placeholder: '<dir>', help: 'A daemon data directory, or a local network directory.', shownDefault: DEFAULT_DATA_DIR },
    { key: 'json', kind: 'bool', help: 'Print JSON.', shownDefault: 'false' },
  ],
}

interface IdLine { role: string; dataDir: string; peerId: string; pid?: number; addresses: string[] }

/** `quire id`. */
export async function runId(argv: readonly string[], io: CommandIo): Promise<number> {
  const flags = parseFlags(ID_COMMAND, argv)
  if (flags.help) { io.stdout(commandHelp(ID_COMMAND)); return 0 }
  const given = flags.values.get('dataDir') as string | undefined
  const dir = resolve(io.cwd, given ?? DEFAULT_DATA_DIR)
  const layout = networkLayout(dir)
  // A local network directory unless it holds a key of its own; without --data-dir, .quire is one.
  const isNetwork = !existsSync(join(dir, 'identity.key')) && (given === undefined || existsSync(layout.relayDir))
  const targets = isNetwork
    ? [{ role: 'relay', dir: layout.relayDir }, { role: 'compute', dir: layout.computeDir }]
    : [{ role: 'peer', dir }]
  const state = readNetworkState(isNetwork ? layout : networkLayout(dirname(dir)))
  const lines: IdLine[] = []
  for (const t of targets) {
    const peerId = await peerIdOfDataDir(t.dir)
    const running = state?.daemons.find((d) => d.peerId === peerId)
    lines.push({ role: t.role, dataDir: t.dir, peerId, ...(running !== undefined && { pid: running.pid }), addresses: running?.addresses ?? [] })
  }
  if (flags.values.get('json') === true) {
    io.stdout(JSON.stringify(lines.length === 1 ? lines[0] : lines, null, 2) + '\n')
    return 0
  }
  for (const l of lines) {
    io.stdout(`${l.role.padEnd(8)} ${l.peerId}  ${l.dataDir}\n`)
    io.stdout(l.pid !== undefined ? `${''.padEnd(8)} running (pid ${l.pid}): ${l.addresses.join(' ')}\n` : `${''.padEnd(8)} not running under \`quire up\`\n`)
  }
  return 0
}
