#!/usr/bin/env node
// The `quire` command: one entry point for every role. `relay` and `compute` run the daemons' own CLIs as
// child processes; `up` is what `npm start` runs.
import { CodedError } from '@quire/crdt'
import { runDaemon } from './commands/daemon.js'
import { ID_COMMAND, runId } from './commands/id.js'
import { processIo, type CommandIo } from './commands/io.js'
import { runProject } from './commands/project.js'
import { runSetup, SETUP_COMMAND } from './commands/setup.js'
import { runUp, UP_COMMAND } from './commands/up.js'
import { QuireCliError } from './errors.js'

interface Command {
  summary: string
  run: (argv: readonly string[], io: CommandIo) => Promise<number>
}

const COMMANDS: Record<string, Command> = {
  up: { summary: UP_COMMAND.summary, run: runUp },
  relay: { summary: 'run a relay (`quire relay --help` for its options, config file and signals)', run: (argv, io) => runDaemon('relay', argv, io) },
  compute: { summary: 'run a compute peer (`quire compute --help` for its options)', run: (argv, io) => runDaemon('compute', argv, io) },
  setup: { summary: SETUP_COMMAND.summary, run: runSetup },
  id: { summary: ID_COMMAND.summary, run: runId },
  project: { summary: 'create projects and manage their members from the command line (`quire project --help`)', run: runProject },
}

export function mainHelp(): string {
  return [
    'Usage: quire <command> [options]',
    '',
    'Quire: collaborative notebooks, LaTeX, files and chat, peer to peer.',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(9)}${c.summary}`),
    '',
    'Run `quire <command> --help` for a command\'s options.',
    '',
  ].join('\n')
}

async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(mainHelp())
    return name === undefined ? 2 : 0
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    throw new QuireCliError('QUIRE_COMMAND_UNKNOWN', `unknown ${name.startsWith('-') ? 'flag' : 'command'} ${JSON.stringify(name)}; the commands are ${Object.keys(COMMANDS).join(', ')} (quire --help)`)
  }
  return command.run(rest, io)
}

const io = processIo()
main(process.argv.slice(2), io).then((code) => { process.exitCode = code }, (err: unknown) => {
  if (err instanceof CodedError) {
    io.stderr(`${err.message.startsWith('quire ') ? '' : 'quire: '}${err.message}\n(${err.code})\n`)
    process.exitCode = err.code === 'QUIRE_FLAG_INVALID' || err.code === 'QUIRE_COMMAND_UNKNOWN' || err.code === 'QUIRE_CONFIG_INVALID' ? 2 : 1
    return
  }
  io.stderr(`quire: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exitCode = 1
})
