import type { QuireNode, QuireNodeInit } from '../libp2p/index.js'
import { CodedError } from '@quire/crdt'

/**
 * The configuration a peer process (`peer-main.js`) starts from: passed as JSON in `argv[2]` or in the
 * `QUIRE_PEER_CONFIG` environment variable.
 */
export interface PeerMainConfig {
  /** Which libp2p assembly to run. */
  role: QuireNodeInit['role']
  /** Directory for the identity key and any module's data; created if missing. */
  dataDir: string
  listen?: string[]
  announce?: string[]
  bootstrap?: string[]
  /** Dev and tests only: allow dialing loopback addresses. */
  allowLoopback?: boolean
  /** Enable the WebRTC transport (node-datachannel). */
  webrtc?: boolean
  /** Circuit relay limits, role `relay` only. */
  relayLimits?: QuireNodeInit['relayLimits']
  /** Free-form settings for command modules (e.g. the sync module); peer-main does not read them. */
  modules?: Record<string, unknown>
}

/** What a command module gets from peer-main: the running node, its data directory and lifecycle hooks. */
export interface PeerContext {
  readonly node: QuireNode
  readonly dataDir: string
  readonly config: PeerMainConfig
  /** Registers cleanup to run on stop (before the libp2p node stops), in reverse order of registration. */
  onStop(hook: () => Promise<void> | void): void
  /** Runs the stop hooks and stops the node; idempotent. The process exits after replying. */
  shutdown(): Promise<void>
  /** Writes a line to stderr, which the test harness shows with the process's prefix. */
  log(message: string): void
}

/**
 * Handles one command sent over IPC. `params` is untrusted JSON from the test; the result must be
 * JSON-serialisable (structured clone over IPC).
 */
export type CommandHandler = (params: unknown) => unknown

/** A module of commands: `(ctx) => ({ name: handler })`, merged by peer-main into one table. */
export type CommandModule = (ctx: PeerContext) => Record<string, CommandHandler>

/** An error a command returns to the test: keeps its stable `code` across the IPC boundary. */
export class PeerCommandError extends CodedError<string> {}

/** Messages a peer process sends to its parent. */
export type ChildMessage =
  | { type: 'ready'; info: PeerReadyInfo }
  | { type: 'response'; id: number; ok: true; result: unknown }
  | { type: 'response'; id: number; ok: false; error: { code: string; message: string } }

/** Messages the parent sends to a peer process. */
export type ParentMessage = { type: 'request'; id: number; command: string; params: unknown }

/** What a peer process reports once it is listening. */
export interface PeerReadyInfo {
  peerId: string
  addresses: string[]
  pid: number
}
