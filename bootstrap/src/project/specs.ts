/** The flags and help of every `quire project` subcommand, in the format of `quire`'s own flag parser. */
import type { CommandSpec, FlagSpec } from '../cli/flags.js'

const COMMON: readonly FlagSpec[] = [
  { key: 'dataDir', kind: 'string', placeholder: '<dir>', help: 'Directory of this device\'s identity (identity.key) and its copy of the projects (projects-db/).', shownDefault: './.quire if it exists, else ~/.quire' },
  { key: 'relay', kind: 'string', placeholder: '<multiaddr>', help: 'Relay to sync with, a multiaddr ending in /p2p/<peer id> (TCP or /ws). Changes are saved locally first; the command waits until the relay acknowledged them.' },
  { key: 'timeoutMs', kind: 'int', min: 100, placeholder: '<ms>', help: 'How long to wait for the relay (connecting, fetching, acknowledging).', shownDefault: '20000' },
]

const PROJECT: FlagSpec = { key: 'project', kind: 'string', placeholder: '<id|automerge:url>', help: 'The project: its project document id or automerge: URL (printed by `quire project create`).' }
const ROLE_HELP = 'admin, writer, reader, compute or relay'

export const CREATE: CommandSpec = {
  name: 'project create',
  usage: 'quire project create --name <name> [--relay <multiaddr>] [options]',
  summary: 'create a project owned by this device\'s identity',
  description: [
    'Creates a project (its project, grants and chat documents) owned by this device\'s key. With --relay, it',
    'grants that relay the relay role, asks it to host the project, and waits until it has stored all three.',
    'Prints the project id and URL.',
  ],
  flags: [{ key: 'name', kind: 'string', placeholder: '<name>', help: 'The project\'s name.' }, { key: 'description', kind: 'string', placeholder: '<text>', help: 'A short description.' }, ...COMMON],
}

export const GRANT: CommandSpec = {
  name: 'project grant',
  usage: 'quire project grant --project <id> --peer <peer id> --role <role> [options]',
  summary: 'give a peer a role in a project',
  description: [
    'Signs a grant with this device\'s key (it must be the owner or an admin) and adds it to the project\'s',
    `grants document. Roles: ${ROLE_HELP}. Granting the relay given with --relay the relay role also asks it`,
    'to host the project.',
  ],
  flags: [PROJECT, { key: 'peer', kind: 'string', placeholder: '<peer id>', help: 'The peer id that gets the role (12D3KooW...).' },
    { key: 'role', kind: 'string', placeholder: '<role>', help: `The role: ${ROLE_HELP}.` },
    { key: 'expiresInHours', kind: 'int', min: 1, placeholder: '<hours>', help: 'Make the grant expire after this many hours.', shownDefault: 'never' }, ...COMMON],
}

export const REVOKE: CommandSpec = {
  name: 'project revoke',
  usage: 'quire project revoke --project <id> --peer <peer id> [options]',
  summary: 'remove every role a peer has in a project',
  description: [
    'Signs a revocation of every grant that gives the peer rights (the owner cannot be removed). From the next',
    'sync on, peers stop sending the project to it and drop its changes. Revoking the relay given with --relay',
    'tells that relay, which then stops serving the project.',
  ],
  flags: [PROJECT, { key: 'peer', kind: 'string', placeholder: '<peer id>', help: 'The peer id to remove.' }, ...COMMON],
}

export const INVITE: CommandSpec = {
  name: 'project invite',
  usage: 'quire project invite --project <id> [--role <role>] [options]',
  summary: 'print an invite link',
  description: [
    'Signs an expiring invite and prints a link carrying it in its #fragment (never sent to a server). Anyone',
    'holding the link can redeem it (it is a bearer token: send it privately). Redeeming needs an admin',
    'device online (an admin\'s web app), which checks the invite and adds the grant.',
  ],
  flags: [PROJECT, { key: 'role', kind: 'string', placeholder: '<role>', help: `The role the invite gives: ${ROLE_HELP}.`, shownDefault: 'writer' },
    { key: 'uses', kind: 'int', min: 1, placeholder: '<n>', help: 'How many peers may redeem it.', shownDefault: '1' },
    { key: 'expiresInHours', kind: 'int', min: 1, placeholder: '<hours>', help: 'How long it can be redeemed.', shownDefault: '168 (a week)' },
    { key: 'appUrl', kind: 'string', placeholder: '<url>', help: 'The web app the link opens.', shownDefault: 'http://<host>:<port>/ of a /ws --relay address' }, ...COMMON],
}

export const MEMBERS: CommandSpec = {
  name: 'project members',
  usage: 'quire project members --project <id> [options]',
  summary: 'list a project\'s members and their roles',
  description: ['Computes membership from the signed grants (fetching the latest from --relay when given) and prints a table.'],
  flags: [PROJECT, ...COMMON],
}

export const SUBCOMMANDS: Readonly<Record<string, CommandSpec>> = { create: CREATE, grant: GRANT, revoke: REVOKE, invite: INVITE, members: MEMBERS }

export function projectHelp(): string {
  return [
    'Usage: quire project <command> [options]',
    '',
    'Create projects and manage their members from the command line (headless admins). Each command uses',
    'this device\'s identity and copy of the projects in --data-dir, and syncs with --relay when given.',
    '',
    'Commands:',
    ...Object.entries(SUBCOMMANDS).map(([name, spec]) => `  ${name.padEnd(9)}${spec.summary}`),
    '',
    'Run `quire project <command> --help` for its options.',
    '',
  ].join('\n')
}
