/**
 * A member's side of `/quire/snapshot/1.0.0` (SN1-SN5): one stream per request, one checked answer. Works in
 * Node and in the browser (the web app's Snapshots panel), over a direct or a relayed connection.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { decode, encode } from 'cbor-x'
import { encodeFrame, FrameDecoder } from '../sync/frame-codec.js'
import {
  MAX_SNAPSHOT_ANSWER_BYTES, SNAPSHOT_PROTOCOL, SnapshotError, checkSnapshotAnswer, isSnapshotErrorCode,
  type SnapshotFolder, type SnapshotInfo, type SnapshotRequest, type SnapshotRestoreAnswer, type SnapshotUsage,
} from './protocol.js'

type Dialer = Pick<Libp2p, 'dialProtocol'>
/** Where the compute peer is: a peer id (over a connection we have) or addresses (through relays). */
export type SnapshotTarget = PeerId | Multiaddr | Multiaddr[]

const DEFAULT_TIMEOUT_MS = 60_000
/** Refusal messages are shown to people: a compute peer may not fill the screen. */
const MAX_MESSAGE_CHARS = 500

export interface SnapshotRequestOptions {
  /** Ends the request (default: 60 s). */
  readonly signal?: AbortSignal
}

/**
 * Sends one request and returns its answer's fields (SN1), else rejects with a {@link SnapshotError}: the
 * compute peer's code (SN2), SNAPSHOT_ANSWER_INVALID for an answer that is not a map or too large (SN4),
 * SNAPSHOT_UNREACHABLE when no answer came (SN5).
 */
export async function requestSnapshots(libp2p: Dialer, peer: SnapshotTarget, request: SnapshotRequest, options: SnapshotRequestOptions = {}): Promise<Record<string, unknown>> {
  const signal = options.signal ?? AbortSignal.timeout(DEFAULT_TIMEOUT_MS)
  let stream: Stream
  try {
    // Compute peers behind NAT are reached through a relay: the protocol runs on limited connections.
    stream = await libp2p.dialProtocol(peer, SNAPSHOT_PROTOCOL, { signal, runOnLimitedConnection: true })
  } catch (err) {
    throw unreachable(err, signal)
  }
  const stop = (): void => stream.abort(new SnapshotError('SNAPSHOT_UNREACHABLE', 'the request was ended before the compute peer answered'))
  signal.addEventListener('abort', stop, { once: true })
  try {
    if (!stream.send(encodeFrame(encode(request)))) await stream.onDrain({ signal })
    const reply = await readAnswer(stream)
    if (reply['ok'] === true) return reply
    const code = isSnapshotErrorCode(reply['code']) ? reply['code'] : 'SNAPSHOT_FAILED'
    const message = typeof reply['message'] === 'string' ? reply['message'].slice(0, MAX_MESSAGE_CHARS) : 'the compute peer refused without a reason'
    throw new SnapshotError(code, message)
  } catch (err) {
    if (err instanceof SnapshotError && err.code !== 'SNAPSHOT_UNREACHABLE') throw err
    throw unreachable(err, signal)
  } finally {
    signal.removeEventListener('abort', stop)
    if (stream.status === 'open') await stream.close().catch(() => undefined)
  }
}

function unreachable(err: unknown, signal: AbortSignal): SnapshotError {
  if (err instanceof SnapshotError && err.code !== 'SNAPSHOT_UNREACHABLE') return err
  const why = signal.aborted ? 'no answer in time' : (err as Error).message
  return new SnapshotError('SNAPSHOT_UNREACHABLE', `the project's compute peer did not answer (${why}); check that it runs and is online`, { cause: err })
}

/** The first frame of the answer, a CBOR map of at most MAX_SNAPSHOT_ANSWER_BYTES (SN4). */
async function readAnswer(stream: Stream): Promise<Record<string, unknown>> {
  const decoder = new FrameDecoder(MAX_SNAPSHOT_ANSWER_BYTES)
  for await (const chunk of stream) {
    let frame: Uint8Array | undefined
    try {
      frame = decoder.push(chunk)[0]
    } catch (err) {
      const e = new SnapshotError('SNAPSHOT_ANSWER_INVALID', `the compute peer's answer is too large or malformed: ${(err as Error).message}`)
      stream.abort(e)
      throw e
    }
    if (frame === undefined) continue
    let value: unknown
    try {
      value = decode(frame)
    } catch (err) {
      throw new SnapshotError('SNAPSHOT_ANSWER_INVALID', `the compute peer's answer is not CBOR: ${(err as Error).message}`)
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
      throw new SnapshotError('SNAPSHOT_ANSWER_INVALID', "the compute peer's answer is not a CBOR map")
    }
    return value as Record<string, unknown>
  }
  throw new SnapshotError('SNAPSHOT_UNREACHABLE', 'the compute peer closed the stream without answering')
}

/**
 * One project's snapshots on its compute peer, each operation's answer checked (SN3). `target` is asked on
 * every request, so a caller can pick a direct connection or a relay path as they come and go.
 */
export class SnapshotClient {
  readonly #libp2p: Dialer
  readonly #target: () => SnapshotTarget
  readonly #project: string
  readonly #timeoutMs: number

  constructor(libp2p: Dialer, target: SnapshotTarget | (() => SnapshotTarget), project: string, options: { timeoutMs?: number } = {}) {
    this.#libp2p = libp2p
    this.#target = typeof target === 'function' ? target : () => target
    this.#project = project
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  }

  #ask(request: Omit<SnapshotRequest, 'project'>, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return requestSnapshots(this.#libp2p, this.#target(), { ...request, project: this.#project }, { signal: signal ?? AbortSignal.timeout(this.#timeoutMs) })
  }

  /** Every snapshot, oldest first (any member). */
  async list(signal?: AbortSignal): Promise<SnapshotInfo[]> {
    return checkSnapshotAnswer.list(await this.#ask({ op: 'list' }, signal))
  }

  /** The workspace's and the snapshots' space, with the quota and budget (any member). */
  async usage(signal?: AbortSignal): Promise<SnapshotUsage> {
    return checkSnapshotAnswer.usage(await this.#ask({ op: 'usage' }, signal))
  }

  /** A folder of a snapshot (`''`: the project's root), at most 5000 entries (any member). */
  async browse(id: string, path: string, signal?: AbortSignal): Promise<SnapshotFolder> {
    return checkSnapshotAnswer.browse(await this.#ask({ op: 'browse', id, path }, signal))
  }

  /** A file of a snapshot, at most `maxBytes` (and 4 MiB) (any member). */
  async read(id: string, path: string, maxBytes?: number, signal?: AbortSignal): Promise<Uint8Array> {
    return checkSnapshotAnswer.read(await this.#ask({ op: 'read', id, path, ...(maxBytes !== undefined && { maxBytes }) }, signal))
  }

  /** Takes a named snapshot now (writers). */
  async take(name: string, signal?: AbortSignal): Promise<SnapshotInfo> {
    return checkSnapshotAnswer.take(await this.#ask({ op: 'take', name }, signal))
  }

  /** Restores a file, a folder or (`''`) the whole project (writers); a snapshot of the replaced state is taken first. */
  async restore(id: string, path = '', signal?: AbortSignal): Promise<SnapshotRestoreAnswer> {
    return checkSnapshotAnswer.restore(await this.#ask({ op: 'restore', id, ...(path !== '' && { path }) }, signal))
  }

  /** Deletes a snapshot (writers). */
  async delete(id: string, signal?: AbortSignal): Promise<void> {
    await this.#ask({ op: 'delete', id }, signal)
  }
}
