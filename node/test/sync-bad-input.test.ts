import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { next as A } from '@automerge/automerge'
import { encode } from 'cbor-x'
import type { DocHandle, DocumentId } from '@automerge/automerge-repo'
import { createQuireRepo, encodeFrame, encodeVarint, type QuireNode, type QuireRepo, type SyncLogEntry } from '@quire/node'
import { dialNode, RawSyncStream, startLoopbackNode, waitForDoc, waitUntil } from '@quire/node/testing'

interface Doc { n: number }

/** A small seeded generator, so a failing run can be replayed. */
function seededBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

describe('/quire/sync/1.0.0 rejects bad input without harming other peers', () => {
  let victim: QuireNode
  let good: QuireNode
  let attacker: QuireNode
  let v: QuireRepo
  let g: QuireRepo
  let onV: DocHandle<Doc>
  let onG: DocHandle<Doc>
  const logged: SyncLogEntry[] = []

  beforeAll(async () => {
    ;[victim, good, attacker] = await Promise.all([startLoopbackNode(), startLoopbackNode(), startLoopbackNode()])
    v = await createQuireRepo({ libp2p: victim, log: (e) => logged.push(e) })
    g = await createQuireRepo({ libp2p: good })
    await dialNode(good, victim)
    await dialNode(attacker, victim)
    await waitUntil(() => v.adapter.peers.includes(good.peerId.toString()) && g.adapter.peers.includes(victim.peerId.toString()), 10_000, 'good peer')
    onV = v.repo.create<Doc>({ n: 0 })
    onG = await g.repo.find<Doc>(onV.url)
  })

  afterAll(async () => {
    await Promise.all([v.stop(), g.stop()])
    await Promise.all([victim, good, attacker].map((n) => n.stop()))
  })

  const self = (): string => victim.peerId.toString()
  const me = (): string => attacker.peerId.toString()
  const docId = (): DocumentId => onV.documentId
  const syncData = (): Uint8Array => A.generateSyncMessage(A.init(), A.initSyncState())[1]!

  /** Opens a stream, lets `attack` misbehave on it, and returns the code the victim logged for it. */
  async function rejectedWith(attack: (s: RawSyncStream) => void | Promise<void>): Promise<string> {
    const before = logged.length
    const s = await RawSyncStream.open(attacker, victim)
    await attack(s)
    await waitUntil(() => logged.length > before, 10_000, 'a rejection')
    await waitUntil(() => s.isClosed, 10_000, 'the stream to be reset')
    expect(logged.length).toBe(before + 1)
    return logged[before]!.code
  }

  async function stillSyncs(n: number): Promise<void> {
    onG.change((d) => { d.n = n })
    await waitForDoc(onV, (d) => d.n === n)
    onV.change((d) => { d.n = n + 1 })
    await waitForDoc(onG, (d) => d.n === n + 1)
  }

  it('[Y4] random bytes are rejected and the victim keeps syncing', async () => {
    const code = await rejectedWith(async (s) => {
      s.sendBytes(seededBytes(42, 4096))
      await s.stream.close()
    })
    expect(['MALFORMED_FRAME', 'BAD_HANDSHAKE', 'FRAME_TOO_LARGE']).toContain(code)
    await stillSyncs(10)
  })

  it('[Y4] a frame that is not CBOR is MALFORMED_FRAME', async () => {
    const code = await rejectedWith((s) => {
      s.sendHello(attacker)
      s.sendBytes(encodeFrame(Uint8Array.from([0x1c, ...seededBytes(7, 100)])).subarray())
    })
    expect(code).toBe('MALFORMED_FRAME')
  })

  it('[Y4] truncated CBOR is MALFORMED_FRAME', async () => {
    const full = encode({ type: 'sync', senderId: me(), targetId: self(), documentId: docId(), data: syncData() })
    const code = await rejectedWith((s) => {
      s.sendHello(attacker)
      s.sendBytes(encodeFrame(full.subarray(0, Math.floor(full.length / 2))).subarray())
    })
    expect(code).toBe('MALFORMED_FRAME')
  })

  it('[Y4] a stream that ends inside a frame is MALFORMED_FRAME', async () => {
    const code = await rejectedWith(async (s) => {
      s.sendHello(attacker)
      s.sendBytes(Uint8Array.from([...encodeVarint(50), 1, 2, 3]))
      await s.stream.close()
    })
    expect(code).toBe('MALFORMED_FRAME')
  })

  it('[Y5] valid CBOR of the wrong shape is INVALID_MESSAGE', async () => {
    const shapes: unknown[] = [
      [1, 2, 3],
      { senderId: me(), targetId: self() },
      { type: 'sync', senderId: me(), targetId: self(), data: syncData() },
      { type: 'sync', senderId: me(), targetId: self(), documentId: 'not-a-document-id', data: syncData() },
      { type: 'sync', senderId: me(), targetId: self(), documentId: docId(), data: Uint8Array.from([9, 9, 9]) },
      { type: 'ephemeral', senderId: me(), targetId: self(), documentId: docId(), data: encode('hi') },
      { type: 'teleport', senderId: me(), targetId: self(), documentId: docId() },
    ]
    for (const shape of shapes) {
      const code = await rejectedWith((s) => {
        s.sendHello(attacker)
        s.sendFrame(shape)
      })
      expect(code, JSON.stringify(shape)).toBe('INVALID_MESSAGE')
    }
  })

  it('[Y5] a senderId other than the stream\'s peer is WRONG_SENDER, a targetId other than us WRONG_TARGET', async () => {
    const base = { type: 'sync', documentId: docId(), data: syncData() }
    expect(await rejectedWith((s) => {
      s.sendHello(attacker)
      s.sendFrame({ ...base, senderId: good.peerId.toString(), targetId: self() })
    })).toBe('WRONG_SENDER')
    expect(await rejectedWith((s) => {
      s.sendHello(attacker)
      s.sendFrame({ ...base, senderId: me(), targetId: good.peerId.toString() })
    })).toBe('WRONG_TARGET')
  })

  it('[Y3] a first frame that is not a hello is BAD_HANDSHAKE', async () => {
    expect(await rejectedWith((s) => {
      s.sendFrame({ type: 'sync', senderId: me(), targetId: self(), documentId: docId(), data: syncData() })
    })).toBe('BAD_HANDSHAKE')
    expect(await rejectedWith((s) => {
      s.sendFrame({ type: 'quire-hello', version: 2, peerId: me(), metadata: {} })
    })).toBe('BAD_HANDSHAKE')
  })

  it('[Y6] a 100 MB length prefix is FRAME_TOO_LARGE from the prefix alone', async () => {
    const code = await rejectedWith((s) => {
      s.sendHello(attacker)
      s.sendBytes(encodeVarint(100 * 1024 * 1024))
    })
    expect(code).toBe('FRAME_TOO_LARGE')
  })

  it('[Y7] rejections are counted by code, the offending peer may come back, and other peers keep syncing', async () => {
    expect(v.adapter.stats.rejected.INVALID_MESSAGE).toBe(7)
    expect(v.adapter.stats.rejected.FRAME_TOO_LARGE).toBe(1)
    expect(v.adapter.stats.rejected.WRONG_SENDER).toBe(1)
    expect(v.adapter.stats.rejected.WRONG_TARGET).toBe(1)
    expect(v.adapter.stats.rejected.BAD_HANDSHAKE).toBeGreaterThanOrEqual(2)
    await stillSyncs(100)
    // The attacker, now well behaved, gets a hello back on a fresh stream.
    const s = await RawSyncStream.open(attacker, victim)
    s.sendHello(attacker)
    const hello = await s.waitForFrame((f) => f.type === 'quire-hello')
    expect(hello.peerId).toBe(self())
    await s.stream.close()
  })
})
