// The generic peer process that tests start with `startPeer(config)`. Node entry point: polyfills first.
import '../polyfills.js'
import { mkdirSync } from 'node:fs'
import { createQuireNode, installCrashGuard } from '../libp2p/index.js'
import { loadOrCreateIdentity } from '../identity/index.js'
import { libp2pCommands } from './peer-commands-libp2p.js'
import { syncCommands } from './peer-commands-sync.js'
import { serveCommands } from './serve-commands.js'
import type { ChildMessage, CommandHandler, PeerContext, PeerMainConfig } from './peer-context.js'

installCrashGuard((line) => process.stderr.write(`${line}\n`))

function readConfig(): PeerMainConfig {
  const raw = process.argv[2] ?? process.env.QUIRE_PEER_CONFIG
  if (!raw) throw new Error('peer-main: pass the config as JSON in argv[2] or QUIRE_PEER_CONFIG')
  const config = JSON.parse(raw) as PeerMainConfig
  if (typeof config.dataDir !== 'string') throw new Error('peer-main: config.dataDir is required')
  return config
}

function send(msg: ChildMessage, then?: () => void): void {
  if (!process.send) return
  process.send(msg, undefined, {}, () => then?.())
}

async function main(): Promise<void> {
  const config = readConfig()
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  const privateKey = await loadOrCreateIdentity(config.dataDir)
  const node = await createQuireNode({
    role: config.role,
    privateKey,
    ...(config.listen ? { listen: config.listen } : {}),
    ...(config.announce ? { announce: config.announce } : {}),
    ...(config.bootstrap ? { bootstrap: config.bootstrap } : {}),
    ...(config.relayLimits ? { relayLimits: config.relayLimits } : {}),
    ...(config.webrtc !== undefined ? { webrtc: config.webrtc } : {}),
    allowLoopback: config.allowLoopback ?? false,
  })

  const stopHooks: Array<() => Promise<void> | void> = []
  let stopping: Promise<void> | undefined
  const ctx: PeerContext = {
    node,
    dataDir: config.dataDir,
    config,
    onStop: (hook) => { stopHooks.push(hook) },
    shutdown: () => {
      stopping ??= (async () => {
        for (const hook of stopHooks.reverse()) {
          try { await hook() } catch (err) { ctx.log(`stop hook failed: ${String(err)}`) }
        }
        await node.stop()
      })()
      return stopping
    },
    log: (message) => { process.stderr.write(`${message}\n`) },
  }

  // One line per command module; a module is `(ctx) => Record<string, handler>`.
  const commands: Record<string, CommandHandler> = {
    ...libp2pCommands(ctx),
    ...syncCommands(ctx),
  }

  serveCommands(commands, () => { if (stopping) process.exit(0) })

  const exitAfterStop = (): void => { void ctx.shutdown().finally(() => process.exit(0)) }
  process.once('SIGTERM', exitAfterStop)
  process.once('SIGINT', exitAfterStop)
  // The parent went away (crashed or killed): a test peer must not outlive its test.
  process.once('disconnect', exitAfterStop)

  send({ type: 'ready', info: { peerId: node.peerId.toString(), addresses: node.getMultiaddrs().map((a) => a.toString()), pid: process.pid } })
}

main().catch((err: unknown) => {
  process.stderr.write(`peer-main failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
})
