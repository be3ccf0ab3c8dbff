/**
 * `quire project create|grant|revoke|invite|members`: project administration for headless admins, over
 * the same signed grants, invites and hosting requests as the web app (node/PROTOCOL.md, A rules).
 */
import { interpretAsDocumentId, isValidAutomergeUrl, isValidDocumentId, type DocumentId } from '@automerge/automerge-repo'
import { multiaddr } from '@multiformats/multiaddr'
import { commandHelp, parseFlags, type CommandSpec, type FlagValue } from '../cli/flags.js'
import type { CommandIo } from '../commands/io.js'
import { createCommand, grantCommand, inviteCommand, membersCommand, peerFlag, revokeCommand, roleFlag } from './commands.js'
import { ProjectCliError } from './errors.js'
import { defaultDataDir, openSession } from './session.js'
import { projectHelp, SUBCOMMANDS } from './specs.js'

const DEFAULT_TIMEOUT_MS = 20_000

/**
 * Runs `quire project <argv>`; resolves with the exit code (0 done, 2 usage). Errors a user can meet
 * (bad flags, unreachable relay, not an admin) are thrown as coded errors with a message that says what
 * to do; the `quire` dispatcher prints them.
 */
export async function runProjectCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(projectHelp())
    return name === undefined ? 2 : 0
  }
  const spec = SUBCOMMANDS[name]
  if (spec === undefined) {
    throw new ProjectCliError('QUIRE_FLAG_INVALID', `quire project: unknown command ${JSON.stringify(name)}; the commands are ${Object.keys(SUBCOMMANDS).join(', ')} (quire project --help)`)
  }
  const flags = parseFlags(spec, rest)
  if (flags.help) {
    io.stdout(commandHelp(spec))
    return 0
  }
  const str = (key: string): string | undefined => flags.values.get(key) as string | undefined
  const int = (key: string): number | undefined => flags.values.get(key) as number | undefined
  const timeoutMs = int('timeoutMs') ?? DEFAULT_TIMEOUT_MS
  const relay = str('relay')
  // Checked before anything is opened, so a typo costs nothing.
  const task = prepare(name, spec, flags.values, relay)
  const session = await openSession({ dataDir: str('dataDir') ?? defaultDataDir(io.cwd, io.env), timeoutMs, ...(relay !== undefined && { relay }) })
  try {
    await task(session, timeoutMs, io)
  } finally {
    await session.close()
  }
  return 0
}

type Task = (session: Awaited<ReturnType<typeof openSession>>, timeoutMs: number, io: CommandIo) => Promise<void>

function prepare(name: string, spec: CommandSpec, values: Map<string, FlagValue>, relay: string | undefined): Task {
  const str = (key: string): string | undefined => values.get(key) as string | undefined
  const int = (key: string): number | undefined => values.get(key) as number | undefined
  const command = spec.name
  if (name === 'create') {
    const projectName = str('name')
    if (projectName === undefined) throw new ProjectCliError('QUIRE_FLAG_INVALID', `quire ${command}: --name <name> is required`)
    const description = str('description')
    return (s, timeoutMs, io) => createCommand(s, { name: projectName, timeoutMs, ...(description !== undefined && { description }) }, io)
  }
  const project = projectFlag(str('project'), command)
  switch (name) {
    case 'grant': {
      const peer = peerFlag(str('peer'), command)
      const role = roleFlag(str('role'), command)
      const hours = int('expiresInHours')
      return (s, timeoutMs, io) => grantCommand(s, { project, peer, role, timeoutMs, ...(hours !== undefined && { expiresInHours: hours }) }, io)
    }
    case 'revoke': {
      const peer = peerFlag(str('peer'), command)
      return (s, timeoutMs, io) => revokeCommand(s, { project, peer, timeoutMs }, io)
    }
    case 'invite': {
      const role = roleFlag(str('role') ?? 'writer', command)
      const appUrl = appUrlFlag(str('appUrl'), relay, command)
      const uses = int('uses') ?? 1
      const expiresInHours = int('expiresInHours') ?? 168
      return (s, timeoutMs, io) => inviteCommand(s, { project, role, uses, expiresInHours, appUrl, timeoutMs }, io)
    }
    default:
      return (s, timeoutMs, io) => membersCommand(s, { project, timeoutMs }, io)
  }
}

function projectFlag(value: string | undefined, command: string): DocumentId {
  if (value === undefined) throw new ProjectCliError('QUIRE_FLAG_INVALID', `quire ${command}: --project <id|automerge:url> is required`)
  if (isValidAutomergeUrl(value)) return interpretAsDocumentId(value)
  if (isValidDocumentId(value)) return value
  throw new ProjectCliError('QUIRE_FLAG_INVALID', `quire ${command} --project: ${JSON.stringify(value)} is neither a project id nor an automerge: URL`)
}

/** `--app-url`, else the HTTP address of a `/ws` relay (relays serve the web app on their WebSocket port). */
function appUrlFlag(value: string | undefined, relay: string | undefined, command: string): string {
  if (value !== undefined) {
    try {
      return new URL(value).toString()
    } catch {
      throw new ProjectCliError('QUIRE_FLAG_INVALID', `quire ${command} --app-url: ${JSON.stringify(value)} is not a URL (e.g. https://relay.example.org/)`)
    }
  }
  const m = relay === undefined ? null : /^\/(ip4|ip6|dns4|dns6|dns)\/([^/]+)\/tcp\/(\d+)\/(ws|wss|tls\/ws)(\/|$)/.exec(safeAddress(relay))
  if (m === null) throw new ProjectCliError('QUIRE_FLAG_INVALID', `quire ${command}: pass --app-url <url of the web app>, or a --relay /ws address whose port serves it`)
  const scheme = m[4] === 'ws' ? 'http' : 'https'
  return `${scheme}://${m[1] === 'ip6' ? `[${m[2]}]` : m[2]}:${m[3]}/`
}

function safeAddress(relay: string): string {
  try {
    return multiaddr(relay).toString()
  } catch {
    return relay
  }
}
