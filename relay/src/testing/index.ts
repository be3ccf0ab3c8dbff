/** @quire/relay/testing: start relays and writers as real processes in tests. */
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startProcess, type PeerProcess, type StartProcessOptions } from '@quire/node/testing'
import type { WriterCommandTypes } from './writer-main.js'

export type { WriterCommandTypes, WriterStatus } from './writer-main.js'

// This file is src/testing/index.ts under vitest and dist/testing/index.js at run time: both two levels
// below the package root, and children always run the compiled files.
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Path of the compiled `quire-relay` CLI. */
export function relayCliPath(): string {
  return join(packageRoot, 'dist', 'cli.js')
}

/** Path of the compiled writer process. */
export function writerMainPath(): string {
  return join(packageRoot, 'dist', 'testing', 'writer-main.js')
}

/** What a relay process reports when ready. */
export interface RelayProcessInfo {
  peerId: string
  addresses: string[]
  httpUrls: string[]
  pid: number
}

/** A relay process and what it reported. */
export interface RelayProcess {
  proc: PeerProcess
  info: RelayProcessInfo
  /** The relay's TCP address (with /p2p/). */
  tcpAddress: string
  /** The relay's first HTTP URL (its WebSocket port). */
  httpUrl: string
}

/**
 * Starts `quire-relay` with `args` as a child process on loopback (adding `--allow-loopback` and loopback
 * TCP and WebSocket listeners on free ports unless `args` has `--listen`).
 */
export async function startRelayProcess(args: string[], options: Omit<StartProcessOptions, 'args'> = {}): Promise<RelayProcess> {
  const listen = args.includes('--listen') ? [] : ['--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws']
  const proc = await startProcess(relayCliPath(), { name: 'relay', ...options, args: [...listen, '--allow-loopback', ...args] })
  const info = proc.info as unknown as RelayProcessInfo
  const tcpAddress = info.addresses.find((a) => !a.includes('/ws')) ?? info.addresses[0]!
  return { proc, info, tcpAddress, httpUrl: info.httpUrls[0] ?? '' }
}

/** Starts the writer process. */
export function startWriterProcess(options: Omit<StartProcessOptions, 'args'> = {}): Promise<PeerProcess<WriterCommandTypes>> {
  return startProcess<WriterCommandTypes>(writerMainPath(), { name: 'writer', ...options })
}
