import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { BlobStore } from './blob-store.js'
import { BlobError, BLOB_ERROR_CODES, type BlobErrorCode } from './errors.js'
import { assertBlobHash, isBlobHash, sha256Hex } from './hash.js'
import { BlobStreamReader, write, writeHeader } from './stream-io.js'

/** The libp2p protocol id of Quire's blob transfer. */
export const BLOB_PROTOCOL = '/quire/blob/1.0.0'

/** Default largest blob accepted or served: 64 MiB. */
export const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 * 1024

/**
 * Blob transfers one connection may carry at once in each direction. A put holds its body in memory until
 * it is verified (up to `maxBlobBytes`), so libp2p's default of 32 inbound streams would let one connection
 * pin 2 GiB; 8 keeps a peer's share bounded and is plenty for parallel fetches.
 */
export const DEFAULT_MAX_BLOB_STREAMS = 8

/** Decides whether `peerId` may `get` or `put` the blob `hash`; the access layer fills it in. */
export type BlobAuthorizer = (peerId: string, hash: string, op: 'get' | 'put') => boolean | Promise<boolean>

/** Options of {@link BlobService}. */
export interface BlobServiceInit {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>
  store: BlobStore
  /** Largest blob served, accepted or fetched. Default 64 MiB. */
  maxBlobBytes?: number
  /** Default: every peer may get and put. */
  authorize?: BlobAuthorizer
  /** Time limit of one transfer when the caller passes no signal. Default 60 s. */
  timeoutMs?: number
  /** Transfers a peer may run at once on one connection (more are refused). Default {@link DEFAULT_MAX_BLOB_STREAMS}. */
  maxInboundStreams?: number
  /** Transfers we may run at once on one connection. Default {@link DEFAULT_MAX_BLOB_STREAMS}. */
  maxOutboundStreams?: number
}

/** Options of one transfer. */
export interface BlobTransferOptions {
  signal?: AbortSignal
}

/**
 * `/quire/blob/1.0.0`: one transfer per stream. The requester sends a header frame (varint length + CBOR)
 * `{op: 'get', hash}` or `{op: 'put', hash, size}`; the server answers `{ok: true, size?}` or
 * `{ok: false, code, message}` before any body moves. A get body follows the answer; a put body follows
 * the answer, and the server confirms with a second header once the hash checked out and the blob is stored.
 */
export class BlobService {
  readonly #libp2p: BlobServiceInit['libp2p']
  readonly #store: BlobStore
  readonly #max: number
  readonly #authorize: BlobAuthorizer
  readonly #timeoutMs: number
  readonly #maxInboundStreams: number
  readonly #maxOutboundStreams: number

  constructor(init: BlobServiceInit) {
    this.#libp2p = init.libp2p
    this.#store = init.store
    this.#max = init.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES
    this.#authorize = init.authorize ?? (() => true)
    this.#timeoutMs = init.timeoutMs ?? 60_000
    this.#maxInboundStreams = init.maxInboundStreams ?? DEFAULT_MAX_BLOB_STREAMS
    this.#maxOutboundStreams = init.maxOutboundStreams ?? DEFAULT_MAX_BLOB_STREAMS
  }

  async start(): Promise<void> {
    await this.#libp2p.handle(BLOB_PROTOCOL, (stream, connection) => this.#serve(stream, connection), {
      runOnLimitedConnection: true,
      maxInboundStreams: this.#maxInboundStreams,
      maxOutboundStreams: this.#maxOutboundStreams,
    })
  }

  async stop(): Promise<void> {
    await this.#libp2p.unhandle(BLOB_PROTOCOL)
  }

  /** Fetches a blob from `peer`, checks its hash, stores it locally and returns its bytes. */
  async fetch(peer: PeerId, hash: string, options: BlobTransferOptions = {}): Promise<Uint8Array> {
    assertBlobHash(hash)
    return this.#transfer(peer, options, async (stream, reader) => {
      await writeHeader(stream, { op: 'get', hash })
      const answer = expectOk(await reader.readHeader())
      const size = answer.size
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
        throw new BlobError('BLOB_PROTOCOL_ERROR', 'get answer without a size')
      }
      if (size > this.#max) throw new BlobError('BLOB_TOO_LARGE', `blob ${hash} is ${size} bytes, over our limit of ${this.#max}`)
      const body = await reader.readBody(size)
      await this.#store.put(body, hash)
      return body
    })
  }

  /** Sends `bytes` to `peer` to store; resolves with their hash once the peer has checked and stored them. */
  async push(peer: PeerId, bytes: Uint8Array, options: BlobTransferOptions = {}): Promise<string> {
    const hash = await sha256Hex(bytes)
    return this.pushAs(peer, hash, bytes, options)
  }

  /** Like {@link push} with the hash given by the caller (the peer verifies it); for tests and relaying. */
  async pushAs(peer: PeerId, hash: string, bytes: Uint8Array, options: BlobTransferOptions = {}): Promise<string> {
    assertBlobHash(hash)
    return this.#transfer(peer, options, async (stream, reader) => {
      await writeHeader(stream, { op: 'put', hash, size: bytes.byteLength })
      expectOk(await reader.readHeader())
      const chunk = 64 * 1024
      for (let offset = 0; offset < bytes.byteLength; offset += chunk) await write(stream, bytes.subarray(offset, offset + chunk))
      await stream.close()
      expectOk(await reader.readHeader())
      return hash
    })
  }

  async #transfer<T>(peer: PeerId, options: BlobTransferOptions, run: (stream: Stream, reader: BlobStreamReader) => Promise<T>): Promise<T> {
    const signal = options.signal ?? AbortSignal.timeout(this.#timeoutMs)
    const stream = await this.#libp2p.dialProtocol(peer, BLOB_PROTOCOL, { signal, runOnLimitedConnection: true })
    const onAbort = (): void => stream.abort(new Error('blob transfer aborted'))
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      const result = await run(stream, new BlobStreamReader(stream))
      if (stream.status === 'open') await stream.close()
      return result
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const reader = new BlobStreamReader(stream)
    try {
      const request = await reader.readHeader()
      const { op, hash } = request
      if ((op !== 'get' && op !== 'put') || !isBlobHash(hash)) {
        throw new BlobError('BLOB_PROTOCOL_ERROR', 'request must be {op: "get" | "put", hash}')
      }
      if (!(await this.#authorize(peer, hash, op))) throw new BlobError('BLOB_DENIED', `peer ${peer} may not ${op} blob ${hash}`)
      if (op === 'get') await this.#serveGet(stream, hash)
      else await this.#servePut(stream, reader, hash, request.size)
      await stream.close()
    } catch (err) {
      const e = err instanceof BlobError ? err : new BlobError('BLOB_PROTOCOL_ERROR', (err as Error).message)
      try {
        await writeHeader(stream, { ok: false, code: e.code, message: e.message })
        await stream.close()
      } catch {
        stream.abort(e)
      }
    }
  }

  async #serveGet(stream: Stream, hash: string): Promise<void> {
    const size = await this.#store.size(hash)
    if (size === undefined) throw new BlobError('BLOB_NOT_FOUND', `no blob ${hash} here`)
    if (size > this.#max) throw new BlobError('BLOB_TOO_LARGE', `blob ${hash} is ${size} bytes, over the limit of ${this.#max}`)
    await writeHeader(stream, { ok: true, size })
    for await (const chunk of this.#store.chunks(hash)) await write(stream, chunk)
  }

  async #servePut(stream: Stream, reader: BlobStreamReader, hash: string, size: unknown): Promise<void> {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new BlobError('BLOB_PROTOCOL_ERROR', 'put request without a size')
    }
    // Refused from the header: the body is never read.
    if (size > this.#max) throw new BlobError('BLOB_TOO_LARGE', `blob of ${size} bytes is over the limit of ${this.#max}`)
    await writeHeader(stream, { ok: true })
    const body = await reader.readBody(size)
    await this.#store.put(body, hash)
    await writeHeader(stream, { ok: true })
  }
}

function expectOk(header: Record<string, unknown>): Record<string, unknown> {
  if (header.ok === true) return header
  const code = BLOB_ERROR_CODES.includes(header.code as BlobErrorCode) ? (header.code as BlobErrorCode) : 'BLOB_PROTOCOL_ERROR'
  const message = typeof header.message === 'string' ? header.message.slice(0, 500) : 'no reason given'
  throw new BlobError(code, `peer refused (${code}): ${message}`, false)
}
