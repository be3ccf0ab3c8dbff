#!/usr/bin/env node
// The `quire-compute` command. Node entry point: the node package's polyfills load with @quire/node, which
// is imported (through start-compute-peer) before anything touches libp2p.
import { daemonConfigOrExit, installCrashGuard } from '@quire/node'
import { helpText } from './config/help.js'
import { resolveComputeConfig } from './config/resolve-config.js'
import { startComputePeer } from './daemon/start-compute-peer.js'
import { ComputeError } from './errors.js'

// A libp2p stream race (yamux) can surface as an uncaught exception that any peer can trigger; the guard
// absorbs exactly that error, so one peer cannot take the compute peer (and its running kernels) down.
installCrashGuard((line) => process.stderr.write(`quire-compute: ${line}\n`))

async function main(): Promise<number> {
  const start = daemonConfigOrExit('quire-compute', () => resolveComputeConfig(process.argv.slice(2)), helpText, ComputeError)
  if ('exitCode' in start) return start.exitCode
  const config = start.config
  const peer = await startComputePeer(config)
  const say = (line: string): boolean => process.stderr.write(`quire-compute: ${line}\n`)
  say(`peer id ${peer.peerId}`)
  say(`listening on ${peer.addresses.join(' ')}`)
  say(`sandbox: bubblewrap ${peer.capabilities.bubblewrap ? 'available' : 'NOT available'}`)
  for (const note of peer.capabilities.notes) say(note)
  say(peer.kernels.length === 0
    ? 'kernels: none found; install one (e.g. apt-get install python3-ipykernel)'
    : `kernels: ${peer.kernels.map((k) => `${k.name} (${k.displayName})`).join(', ')}`)
  say(peer.latex.note)
  if (config.projects.length === 0) say(`no projects configured yet: it serves the projects whose admins grant ${peer.peerId} the compute role and ask it (or name them with --project)`)
  // Handlers first: a supervisor may send SIGTERM the moment it reads the ready line, and a signal that
  // finds no handler kills the process before it writes its documents to disk.
  const stopRequested = new Promise<void>((resolveStop) => {
    const onSignal = (signal: string): void => {
      say(`${signal}: shutting kernels down, writing notebooks to disk and stopping`)
      resolveStop()
    }
    process.once('SIGTERM', () => onSignal('SIGTERM'))
    process.once('SIGINT', () => onSignal('SIGINT'))
    // Started by a test harness over IPC: do not outlive it.
    process.once('disconnect', () => onSignal('parent gone'))
  })
  // One JSON line on stdout that supervisors and tests can read; human details go to stderr.
  const info = { peerId: peer.peerId, addresses: peer.addresses, pid: process.pid, kernels: peer.kernels.map((k) => k.name), capabilities: peer.capabilities, latex: { available: peer.latex.available, engines: peer.latex.engines, biber: peer.latex.biber } }
  process.stdout.write(JSON.stringify({ event: 'ready', ...info }) + '\n')
  process.send?.({ type: 'ready', info })

  await stopRequested
  await peer.stop()
  return 0
}

main().then((code) => process.exit(code), (err: unknown) => {
  const e = err as { code?: unknown; message?: unknown }
  process.stderr.write(`quire-compute: ${typeof e.message === 'string' ? e.message : String(err)}${typeof e.code === 'string' ? ` (${e.code})` : ''}\n`)
  process.exit(1)
})
