import { renderDaemonHelp } from '@quire/node'
import { ENV_PREFIX, OPTIONS } from './options.js'

/** The text of `quire-relay --help`, generated from the option table. */
export function helpText(): string {
  return renderDaemonHelp({
    command: 'quire-relay',
    envPrefix: ENV_PREFIX,
    options: OPTIONS,
    description: [
      'Runs a Quire relay: a libp2p relay (circuit relay v2, DHT server) that keeps a durable replica of the',
      'documents it hosts and syncs them with any member who connects.',
    ],
    footer: ['Signals: SIGTERM and SIGINT flush every document to disk, then exit 0.'],
  })
}
