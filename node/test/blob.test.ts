import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import { decode, encode } from 'cbor-x'
import { LevelStorageAdapter } from '@quire/crdt'
import {
  BLOB_PROTOCOL, BlobError, BlobService, BlobStore, encodeFrame, encodeVarint, FrameDecoder, sha256Hex, type QuireNode,
} from '@quire/node'
import { dialNode, startLoopbackNode, waitUntil } from '@quire/node/testing'

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(BlobError)
    return (err as BlobError).code
  }
  throw new Error('expected a BlobError')
}

describe('BlobStore', () => {
  it('[B1] stores chunked blobs by sha-256 in a sublevel of the documents database (classic-level on disk)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-blob-store-'))
    const db = new ClassicLevel<string, Uint8Array>(join(dir, 'db'))
    try {
      const docs = new LevelStorageAdapter(db, { sublevel: 'docs' })
      await docs.save(['doc', 'x'], Uint8Array.from([1, 2, 3]))
      const store = new BlobStore(db, { chunkBytes: 1000 })
      const bytes = new Uint8Array(randomBytes(4500))
      const hash = await store.put(bytes)
      expect(hash).toBe(await sha256Hex(bytes))
      expect(await store.size(hash)).toBe(4500)
      const chunks: Uint8Array[] = []
      for await (const c of store.chunks(hash)) chunks.push(c)
      expect(chunks.map((c) => c.byteLength)).toEqual([1000, 1000, 1000, 1000, 500])
      expect(Buffer.from((await store.get(hash))!).equals(Buffer.from(bytes))).toBe(true)
      expect(await docs.load(['doc', 'x'])).toEqual(Uint8Array.from([1, 2, 3]))
      await store.delete(hash)
      expect(await store.has(hash)).toBe(false)
      expect(await docs.load(['doc', 'x'])).toEqual(Uint8Array.from([1, 2, 3]))
    } finally {
      await db.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('[B2] refuses bytes that do not match the expected hash, and bad hashes', async () => {
    const store = new BlobStore(new MemoryLevel())
    const wrong = await sha256Hex(Uint8Array.from([9]))
    expect(await codeOf(store.put(Uint8Array.from([1, 2]), wrong))).toBe('HASH_MISMATCH')
    expect(await store.has(wrong)).toBe(false)
    expect(await store.has(await sha256Hex(Uint8Array.from([1, 2])))).toBe(false)
    expect(await codeOf(store.size('not-a-hash'))).toBe('INVALID_HASH')
  })
})

describe('/quire/blob/1.0.0 over loopback TCP', () => {
  let a: QuireNode
  let b: QuireNode
  let c: QuireNode
  let sa: BlobService
  let sb: BlobService
  let sc: BlobService
  let storeB: BlobStore
  let storeC: BlobStore
  const asked: Array<[string, string, string]> = []
  const denied = new Set<string>()

  beforeAll(async () => {
    ;[a, b, c] = await Promise.all([startLoopbackNode(), startLoopbackNode(), startLoopbackNode()])
    storeB = new BlobStore(new MemoryLevel())
    storeC = new BlobStore(new MemoryLevel())
    sa = new BlobService({ libp2p: a, store: new BlobStore(new MemoryLevel()) })
    sb = new BlobService({
      libp2p: b, store: storeB, maxBlobBytes: 2 * 1024 * 1024,
      authorize: (peer, hash, op) => { asked.push([peer, hash, op]); return !denied.has(hash) },
    })
    sc = new BlobService({ libp2p: c, store: storeC, maxBlobBytes: 1024 })
    await Promise.all([sa.start(), sb.start(), sc.start()])
    await dialNode(a, b)
    await dialNode(c, b)
  })

  afterAll(async () => {
    await Promise.all([sa.stop(), sb.stop(), sc.stop()])
    await Promise.all([a, b, c].map((n) => n.stop()))
  })

  it('[B3] put then get: the blob is streamed, verified and stored on each receiver', async () => {
    const bytes = new Uint8Array(randomBytes(1_500_000))
    const hash = await sa.push(b.peerId, bytes)
    expect(await storeB.has(hash)).toBe(true)
    expect(asked).toContainEqual([a.peerId.toString(), hash, 'put'])
    const fetched = await sa.fetch(b.peerId, hash)
    expect(Buffer.from(fetched).equals(Buffer.from(bytes))).toBe(true)
    expect(asked).toContainEqual([a.peerId.toString(), hash, 'get'])
  })

  it('[B4] a put whose bytes do not match its hash is rejected with HASH_MISMATCH and nothing is stored', async () => {
    const bytes = Uint8Array.from([1, 2, 3, 4])
    const claimed = await sha256Hex(Uint8Array.from([5, 6, 7, 8]))
    expect(await codeOf(sa.pushAs(b.peerId, claimed, bytes))).toBe('HASH_MISMATCH')
    expect(await storeB.has(claimed)).toBe(false)
    expect(await storeB.has(await sha256Hex(bytes))).toBe(false)
  })

  it('[B4] a get answered with the wrong bytes is rejected with HASH_MISMATCH and nothing is stored', async () => {
    const liar = await startLoopbackNode()
    try {
      await liar.handle(BLOB_PROTOCOL, async (stream) => {
        await stream[Symbol.asyncIterator]().next()
        stream.send(encodeFrame(encode({ ok: true, size: 3 })))
        stream.send(Uint8Array.from([6, 6, 6]))
        await stream.close()
      })
      const store = new BlobStore(new MemoryLevel())
      const client = new BlobService({ libp2p: c, store, timeoutMs: 10_000 })
      await dialNode(c, liar)
      const hash = await sha256Hex(Uint8Array.from([1, 2, 3]))
      expect(await codeOf(client.fetch(liar.peerId, hash))).toBe('HASH_MISMATCH')
      expect(await store.has(hash)).toBe(false)
    } finally {
      await liar.stop()
    }
  })

  it('[B5] a put over the size limit is refused with BLOB_TOO_LARGE from its header, before any body', async () => {
    expect(await codeOf(sa.push(b.peerId, new Uint8Array(3 * 1024 * 1024)))).toBe('BLOB_TOO_LARGE')
    // A raw requester announces a huge blob and sends no body: the refusal comes anyway.
    const stream = await a.dialProtocol(b.peerId, BLOB_PROTOCOL)
    const frames: unknown[] = []
    const decoder = new FrameDecoder()
    stream.addEventListener('message', (e) => { for (const f of decoder.push(e.data)) frames.push(decode(f)) })
    stream.send(encodeFrame(encode({ op: 'put', hash: await sha256Hex(Uint8Array.from([1])), size: 100 * 1024 * 1024 })))
    await waitUntil(() => frames.length > 0, 10_000, 'a refusal')
    expect(frames[0]).toMatchObject({ ok: false, code: 'BLOB_TOO_LARGE' })
    stream.abort(new Error('done'))
  })

  it('[B5] a fetch larger than the fetcher\'s own limit is refused with BLOB_TOO_LARGE and not stored', async () => {
    const bytes = new Uint8Array(randomBytes(4096))
    const hash = await sa.push(b.peerId, bytes)
    expect(await codeOf(sc.fetch(b.peerId, hash))).toBe('BLOB_TOO_LARGE')
    expect(await storeC.has(hash)).toBe(false)
  })

  it('[B6] a missing blob is BLOB_NOT_FOUND; a malformed request is BLOB_PROTOCOL_ERROR', async () => {
    const missing = await sha256Hex(new TextEncoder().encode('nobody has this'))
    expect(await codeOf(sa.fetch(b.peerId, missing))).toBe('BLOB_NOT_FOUND')
    const stream = await a.dialProtocol(b.peerId, BLOB_PROTOCOL)
    const frames: unknown[] = []
    const decoder = new FrameDecoder()
    stream.addEventListener('message', (e) => { for (const f of decoder.push(e.data)) frames.push(decode(f)) })
    stream.send(Uint8Array.from([...encodeVarint(3), 0x1c, 0, 0]))
    await waitUntil(() => frames.length > 0, 10_000, 'an error answer')
    expect(frames[0]).toMatchObject({ ok: false, code: 'BLOB_PROTOCOL_ERROR' })
    stream.abort(new Error('done'))
  })

  it('[B7] the authorize hook can refuse a get with BLOB_DENIED', async () => {
    const bytes = Uint8Array.from([42])
    const hash = await sa.push(b.peerId, bytes)
    denied.add(hash)
    expect(await codeOf(sa.fetch(b.peerId, hash))).toBe('BLOB_DENIED')
    expect(asked).toContainEqual([a.peerId.toString(), hash, 'get'])
  })
})
