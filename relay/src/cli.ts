#!/usr/bin/env node
// The `quire-relay` command. Node entry point: the node package's polyfills load with @quire/node, which
// is imported (through start-relay) before anything touches libp2p.
import { daemonConfigOrExit, installCrashGuard } from '@quire/node'
import { helpText } from './config/help.js'
import { resolveRelayConfig } from './config/resolve-config.js'
import { RelayError } from './errors.js'
import { startRelay } from './start-relay.js'

// A libp2p stream race (yamux) can surface as an uncaught exception that any peer can trigger; the node
// package's guard absorbs exactly that error, so one peer cannot take the relay down.
installCrashGuard((line) => process.stderr.write(`quire-relay: ${line}\n`))

async function main(): Promise<number> {
  const start = daemonConfigOrExit('quire-relay', () => resolveRelayConfig(process.argv.slice(2)), helpText, RelayError)
  if ('exitCode' in start) return start.exitCode
  const config = start.config
  const relay = await startRelay(config)
  const hosting = config.hosting.mode === 'open'
    ? `open (${config.hosting.maxDocumentsPerPeer} documents, ${config.hosting.maxBytesPerPeer} bytes per peer)`
    : config.hosting.mode === 'grants'
      ? `grants (projects whose admins granted this relay the relay role; operator override: ${config.hosting.documents.length} documents, ${config.hosting.projects.length} projects)`
      : `allowlist (${config.hosting.documents.length} documents, ${config.hosting.projects.length} projects)`
  if (config.hosting.mode === 'allowlist' && config.hosting.documents.length + config.hosting.projects.length === 0) {
    process.stderr.write('quire-relay: the allowlist is empty, so this relay hosts no documents; add --allow or --allow-project, or use --hosting grants or open\n')
  }
  // Handlers first: a supervisor may send SIGTERM the moment it reads the ready line, and a signal that
  // finds no handler kills the process before it writes its documents to disk.
  const stopRequested = new Promise<void>((resolveStop) => {
    const onSignal = (signal: string): void => {
      process.stderr.write(`quire-relay: ${signal}: writing documents to disk and stopping\n`)
      resolveStop()
    }
    process.once('SIGTERM', () => onSignal('SIGTERM'))
    process.once('SIGINT', () => onSignal('SIGINT'))
    // Started by a test harness over IPC: do not outlive it.
    process.once('disconnect', () => onSignal('parent gone'))
  })
  // One JSON line on stdout that supervisors and tests can read; human details go to stderr.
  process.stdout.write(JSON.stringify({ event: 'ready', peerId: relay.peerId, addresses: relay.addresses, httpUrls: relay.httpUrls, pid: process.pid }) + '\n')
  process.stderr.write(`quire-relay ${relay.peerId} listening on ${relay.addresses.join(' ')}; HTTP ${relay.httpUrls.join(' ') || 'off'}; hosting ${hosting}\n`)
  process.send?.({ type: 'ready', info: { peerId: relay.peerId, addresses: relay.addresses, pid: process.pid, httpUrls: relay.httpUrls } })

  await stopRequested
  await relay.stop()
  return 0
}

main().then((code) => process.exit(code), (err: unknown) => {
  const e = err as { code?: unknown; message?: unknown }
  process.stderr.write(`quire-relay: ${typeof e.message === 'string' ? e.message : String(err)}${typeof e.code === 'string' ? ` (${e.code})` : ''}\n`)
  process.exit(1)
})
