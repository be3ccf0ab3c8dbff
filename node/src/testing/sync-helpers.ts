import type { DocHandle } from '@automerge/automerge-repo'
import type { Stream } from '@libp2p/interface'
import { decode, encode } from 'cbor-x'
import { createQuireNode, type QuireNode } from '../libp2p/index.js'
import { encodeFrame, FrameDecoder, SYNC_PROTOCOL, SYNC_PROTOCOL_VERSION } from '../sync/index.js'

/** Starts a libp2p node of role `peer` listening on a random loopback TCP port. */
export function startLoopbackNode(): Promise<QuireNode> {
  return createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
}

/** Dials `b` from `a` over its first listen address. */
export async function dialNode(a: QuireNode, b: QuireNode): Promise<void> {
  const addr = b.getMultiaddrs()[0]
  if (addr === undefined) throw new Error('node has no listen address')
  await a.dial(addr)
}

/**
 * Polls `check` until it returns true or `timeoutMs` passes. Event-driven waiting is better where an event
 * exists; this is for conditions spread over several peers.
 */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/**
 * Resolves when `handle`'s document satisfies `check` (checked now, on every change, and once the handle
 * becomes ready: a document that arrives from a peer fires its only `change` before the handle is ready).
 */
export function waitForDoc<T>(handle: DocHandle<T>, check: (doc: T) => boolean, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const test = (): boolean => {
      const doc = handle.isReady() ? handle.doc() : undefined
      return doc !== undefined && check(doc)
    }
    if (test()) return resolve()
    const timer = setTimeout(() => {
      handle.off('change', onChange)
      reject(new Error(`document ${handle.documentId} did not reach the expected state within ${timeoutMs} ms`))
    }, timeoutMs)
    const onChange = (): void => {
      if (!test()) return
      clearTimeout(timer)
      handle.off('change', onChange)
      resolve()
    }
    handle.on('change', onChange)
    handle.whenReady().then(onChange, () => {})
  })
}

/**
 * A hand-driven `/quire/sync/1.0.0` stream for tests: sends raw bytes or frames of any shape and records
 * what comes back, so tests can play a misbehaving or early peer.
 */
/**
 * How many frames a peer hands to its libp2p streams for `change` before any timer can fire: `change` runs,
 * then only microtasks (no timer, no I/O callback). A change sent at once (Y9) is among them; one that
 * waits for automerge-repo's 100 ms sync throttle (a timer) never is, however fast or slow the machine. So
 * a test of "sent at once" checks an order of events, not a latency.
 */
export async function framesSentBeforeAnyTimer(stats: { readonly framesSent: number }, change: () => void): Promise<number> {
  const before = stats.framesSent
  change()
  for (let i = 0; i < 100; i++) await Promise.resolve()
  return stats.framesSent - before
}

export class RawSyncStream {
  readonly frames: unknown[] = []
  readonly stream: Stream
  readonly #decoder = new FrameDecoder(64 * 1024 * 1024)
  readonly closed: Promise<void>

  private constructor(stream: Stream) {
    this.stream = stream
    stream.addEventListener('message', (evt) => {
      for (const body of this.#decoder.push(evt.data)) this.frames.push(decode(body))
    })
    this.closed = new Promise((resolve) => stream.addEventListener('close', () => resolve()))
  }

  /** Opens a sync stream from `from` to `to` (which must be connected or dialable). */
  static async open(from: QuireNode, to: QuireNode): Promise<RawSyncStream> {
    const stream = await from.dialProtocol(to.getMultiaddrs(), SYNC_PROTOCOL)
    return new RawSyncStream(stream)
  }

  sendBytes(bytes: Uint8Array): void {
    this.stream.send(bytes)
  }

  /** Sends `value` CBOR-encoded in one length-prefixed frame. */
  sendFrame(value: unknown): void {
    this.stream.send(encodeFrame(encode(value)))
  }

  /** Sends a valid hello for `self`. */
  sendHello(self: QuireNode): void {
    this.sendFrame({ type: 'quire-hello', version: SYNC_PROTOCOL_VERSION, peerId: self.peerId.toString(), metadata: {} })
  }

  /** Whether the other side reset or closed the stream. */
  get isClosed(): boolean {
    return this.stream.status !== 'open'
  }

  async waitForFrame(match: (frame: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined
    await waitUntil(() => {
      found = this.frames.find((f): f is Record<string, unknown> => typeof f === 'object' && f !== null && match(f as Record<string, unknown>))
      return found !== undefined
    }, timeoutMs, 'a matching frame')
    return found!
  }
}

/** Typed commands of `peer-commands-sync` (type only: no database code is loaded by importing this). */
export type { SyncCommandTypes } from './peer-commands-sync.js'
