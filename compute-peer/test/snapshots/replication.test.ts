/**
 * Replication of snapshots to a standby compute peer (N19-N29), copy driver on both sides (format `files`):
 * real libp2p nodes on loopback, real grants, real disk. The BTRFS format is in replication-btrfs.test.ts.
 */
import { randomBytes } from 'node:crypto'
import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CopySnapshotDriver, pushSnapshots, ReplicaStore, REPLICA_PROTOCOL, serveReplicas, shapeDigest, type PushInit, type ReplicaInfo, type SnapshotInfo } from '../../src/snapshots/index.js'
import { FrameReader, sendFrame, WRITE_HIGH_WATER, type Frame } from '../../src/snapshots/replication/frames.js'
import { codeOf, sameFile, cutAt, flipByteIn, replicationPeers, type ReplicationPeers } from './replication-peers.js'

let peers: ReplicationPeers
let dir: string
let source: CopySnapshotDriver
let replicas: ReplicaStore
let server: { stop(): Promise<void> }
const received: ReplicaInfo[] = []
const BIG = 2 * 1024 * 1024

beforeAll(async () => {
  peers = await replicationPeers()
  dir = await mkdtemp(join(tmpdir(), 'quire-replication-'))
  source = new CopySnapshotDriver({ workdir: join(dir, 'a', 'ws'), store: join(dir, 'a', 'snapshots') })
  await source.prepare()
  const root = join(dir, 'b', 'replicas')
  replicas = new ReplicaStore(join(root, peers.project.id))
  // Keeps only the newest automatic replica (and named ones): the ladder's effect is visible at once.
  server = await serveReplicas({
    libp2p: peers.b.node, access: peers.access(peers.b), root, kind: 'copy', ladder: [{ everyMs: 1, keep: 1 }],
    onReceived: (_p, info) => { received.push(info) },
  })
}, 60_000)

afterAll(async () => {
  await server?.stop()
  await peers?.stop()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

function push(extra: Partial<PushInit> = {}): ReturnType<typeof pushSnapshots> {
  return pushSnapshots({ libp2p: peers.a.node, to: peers.b.id, dial: peers.b.node.getMultiaddrs(), project: peers.project.id, source, access: peers.access(peers.a), ...extra })
}

async function snapshot(meta: Partial<SnapshotInfo> = {}): Promise<SnapshotInfo> {
  await new Promise((r) => setTimeout(r, 5)) // ids sort by the millisecond: one snapshot per millisecond
  return source.create({ kind: 'auto', reason: 'interval', heads: { [peers.project.id]: [...peers.project.project.heads()] }, ...meta })
}

describe('replication, format files', () => {
  let first: SnapshotInfo
  let second: SnapshotInfo

  it('[N21] [N22] [N24] the first push sends the newest snapshot whole; the standby lists it with its record and the same tree', async () => {
    const ws = source.workdir
    await writeFile(join(ws, 'big.bin'), randomBytes(BIG))
    await mkdir(join(ws, 'data'))
    await writeFile(join(ws, 'data', 'small.txt'), 'v1')
    await symlink('data/small.txt', join(ws, 'link'))
    await mkdir(join(ws, 'empty'))
    await mkdir(join(ws, 'ro'))
    await writeFile(join(ws, 'ro', 'kept.txt'), 'read-only folder')
    await chmod(join(ws, 'ro'), 0o555)
    await snapshot() // older: not sent when the standby holds nothing
    first = await snapshot()
    const sent = await push()
    expect(sent).toEqual([expect.objectContaining({ id: first.id, format: 'files', files: 3 })])
    expect(sent[0]!.parent).toBeUndefined()
    expect(sent[0]!.bytes).toBeGreaterThan(BIG)
    const listed = await replicas.list()
    expect(listed.map((r) => r.id)).toEqual([first.id])
    expect(listed[0]).toMatchObject({ kind: 'auto', heads: first.heads, replicatedFrom: peers.a.id, format: 'files' })
    const tree = replicas.tree(first.id)
    expect(await shapeDigest(tree)).toBe(await shapeDigest(join(source.store, first.id)))
    expect(await sameFile(join(tree, 'big.bin'), join(source.store, first.id, 'big.bin'))).toBe(true)
    expect(await readlink(join(tree, 'link'))).toBe('data/small.txt')
    expect((await lstat(join(tree, 'ro'))).mode & 0o777).toBe(0o555)
    expect(received.map((r) => r.id)).toEqual([first.id])
  })

  it('[N26] [N22] after one file changed, the next push sends only that file against the previous snapshot', async () => {
    await writeFile(join(source.workdir, 'data', 'small.txt'), 'v2, a little longer')
    second = await snapshot()
    const [sent, ...more] = await push()
    expect(more).toEqual([])
    expect(sent).toMatchObject({ id: second.id, parent: first.id, format: 'files', files: 1 })
    // The records of 8 entries and 19 bytes of file: nothing near the 2 MiB that did not change.
    expect(sent!.bytes).toBeLessThan(BIG / 100)
    const tree = replicas.tree(second.id)
    expect(await readFile(join(tree, 'data', 'small.txt'), 'utf8')).toBe('v2, a little longer')
    expect(await sameFile(join(tree, 'big.bin'), join(source.store, second.id, 'big.bin'))).toBe(true)
    // Nothing new: nothing sent.
    expect(await push()).toEqual([])
  })

  it('[N27] the standby prunes its replicas by the ladder (named kept) and is told of each for its documents', async () => {
    const named = await snapshot({ kind: 'named', name: 'before the experiment' })
    await writeFile(join(source.workdir, 'data', 'small.txt'), 'v3')
    const third = await snapshot()
    const sent = await push()
    expect(sent.map((s) => s.id)).toEqual([named.id, third.id])
    expect(sent[1]!.parent).toBe(named.id)
    // The older automatic replicas went; the named one and the newest stay.
    expect((await replicas.list()).map((r) => r.id)).toEqual([named.id, third.id])
    expect((await lstat(replicas.tree(first.id)).catch(() => undefined))).toBeUndefined()
    expect(received.at(-1)).toMatchObject({ id: third.id, heads: { [peers.project.id]: expect.any(Array) } })
  })

  it('[N23] a damaged transfer is refused with REPLICA_CORRUPT, a cut one with REPLICA_INCOMPLETE; neither is listed or left on disk', async () => {
    await writeFile(join(source.workdir, 'big.bin'), randomBytes(BIG))
    const changed = await snapshot()
    expect(await codeOf(push({ tamper: flipByteIn(3) }))).toBe('REPLICA_CORRUPT')
    expect((await replicas.list()).map((r) => r.id)).not.toContain(changed.id)
    expect(await lstat(replicas.tree(changed.id)).catch(() => undefined)).toBeUndefined()
    expect(await codeOf(push({ tamper: cutAt(6) }))).toBe('REPLICA_INCOMPLETE')
    expect((await replicas.list()).map((r) => r.id)).not.toContain(changed.id)
    expect(await lstat(replicas.tree(changed.id)).catch(() => undefined)).toBeUndefined()
    // The standby is unharmed: the honest push goes through.
    expect((await push()).map((s) => s.id)).toEqual([changed.id])
    expect(await sameFile(join(replicas.tree(changed.id), 'big.bin'), join(source.workdir, 'big.bin'))).toBe(true)
  })

  it('[N20] a reader, a stranger and the owner (an admin, no compute grant) cannot push; nothing is pushed to a reader; a standby serving the project or without the grant refuses', async () => {
    const before = (await replicas.list()).map((r) => r.id)
    await writeFile(join(source.workdir, 'data', 'small.txt'), 'v4')
    await snapshot()
    for (const intruder of [peers.reader, peers.stranger, peers.owner]) {
      const sent = pushSnapshots({ libp2p: intruder.node, to: peers.b.id, dial: peers.b.node.getMultiaddrs(), project: peers.project.id, source, access: peers.access(intruder) })
      expect(await codeOf(sent)).toBe('REPLICA_ACCESS_DENIED')
    }
    expect((await replicas.list()).map((r) => r.id)).toEqual(before)
    // The sender checks the receiver's grant before it dials.
    expect(await codeOf(pushSnapshots({ libp2p: peers.a.node, to: peers.reader.id, dial: peers.reader.node.getMultiaddrs(), project: peers.project.id, source, access: peers.access(peers.a) }))).toBe('REPLICA_ACCESS_DENIED')
    // A receiver that serves the project itself takes no replica of it.
    peers.serving.set(peers.b.id, new Set([peers.project.id]))
    try {
      expect(await codeOf(push())).toBe('REPLICA_ACCESS_DENIED')
    } finally {
      peers.serving.delete(peers.b.id)
    }
    // A receiver without the compute grant refuses even a sender that did not check.
    const readerServer = await serveReplicas({ libp2p: peers.reader.node, access: peers.access(peers.reader), root: join(dir, 'reader', 'replicas'), kind: 'copy' })
    try {
      const careless = { isComputePeer: async () => true }
      expect(await codeOf(pushSnapshots({ libp2p: peers.a.node, to: peers.reader.id, dial: peers.reader.node.getMultiaddrs(), project: peers.project.id, source, access: careless }))).toBe('REPLICA_ACCESS_DENIED')
    } finally {
      await readerServer.stop()
    }
    expect(await lstat(join(dir, 'reader', 'replicas', peers.project.id)).catch(() => undefined)).toBeUndefined()
  })

  it('[N29] [N25] malformed requests, a btrfs stream to a copy peer and a missing parent get stable codes; the standby keeps answering', async () => {
    const ask = async (frame: Frame): Promise<Frame | undefined> => {
      const stream = await peers.a.node.dialProtocol(peers.b.node.getMultiaddrs(), REPLICA_PROTOCOL)
      const reader = new FrameReader(stream)
      await sendFrame(stream, frame)
      const answer = await reader.next()
      await stream.close().catch(() => undefined)
      return answer
    }
    const project = peers.project.id
    const latest = (await source.list()).at(-1)!
    const header = { op: 'receive', project, format: 'files', record: { ...latest, id: '20300101T000000000Z-abcdef' }, shape: 'a'.repeat(64) }
    expect(await ask({ op: 'format-disk', project })).toMatchObject({ ok: false, code: 'REPLICA_REQUEST_INVALID' })
    expect(await ask({ op: 'hello', project: '../../etc' })).toMatchObject({ ok: false, code: 'REPLICA_REQUEST_INVALID' })
    expect(await ask({ ...header, shape: 'short' })).toMatchObject({ ok: false, code: 'REPLICA_REQUEST_INVALID' })
    expect(await ask({ ...header, record: { id: '../x', createdAt: 1, kind: 'auto' } })).toMatchObject({ ok: false, code: 'REPLICA_REQUEST_INVALID' })
    expect(await ask({ ...header, format: 'btrfs' })).toMatchObject({ ok: false, code: 'REPLICA_FORMAT_UNSUPPORTED' })
    expect(await ask({ ...header, parent: '20200101T000000000Z-abcdef' })).toMatchObject({ ok: false, code: 'REPLICA_PARENT_MISSING' })
    const hello = await ask({ op: 'hello', project })
    expect(hello).toMatchObject({ ok: true, formats: ['files'] })
    expect((hello!['have'] as Array<{ id: string }>).map((h) => h.id)).toEqual((await replicas.list()).map((r) => r.id))
  })

  it('[N24] an entry outside the project or through a link the transfer made is refused, and nothing is written outside', async () => {
    const outside = join(dir, 'outside')
    await mkdir(outside)
    const id = '20300101T000000000Z-a1b2c3'
    const attempt = async (entries: Frame[]): Promise<Frame | undefined> => {
      const stream = await peers.a.node.dialProtocol(peers.b.node.getMultiaddrs(), REPLICA_PROTOCOL)
      const reader = new FrameReader(stream)
      await sendFrame(stream, { op: 'receive', project: peers.project.id, format: 'files', record: { id, createdAt: Date.now(), kind: 'auto' }, shape: 'b'.repeat(64) })
      expect(await reader.next()).toMatchObject({ ok: true })
      try {
        for (const e of entries) await sendFrame(stream, e)
        await sendFrame(stream, { end: true, bytes: 0, sha256: '' })
      } catch {
        // refused mid-way: the answer says why
      }
      const answer = await reader.next()
      await stream.close().catch(() => undefined)
      return answer
    }
    const file = (p: string): Frame => ({ e: { p, t: 'f', m: 0o644, s: 1, mt: Date.now(), h: 'c'.repeat(64) } })
    expect(await attempt([file('../escape.txt')])).toMatchObject({ code: 'REPLICA_REQUEST_INVALID' })
    expect(await attempt([{ e: { p: 'out', t: 'l', m: 0o777, l: outside } }, file('out/escape.txt')])).toMatchObject({ code: 'REPLICA_CORRUPT' })
    expect(await readFile(join(outside, 'escape.txt')).catch(() => undefined)).toBeUndefined()
    expect((await replicas.list()).map((r) => r.id)).not.toContain(id)
  })

  it('[N21] a receiver that stops taking frames holds the sender back: nothing is reset or lost, the sender buffers a bounded amount', async () => {
    const PROTOCOL = '/quire/test-replica-frames/1.0.0'
    const FRAMES = 160 // 40 MiB of 256 KiB frames: more than yamux's largest window and a stream's default buffer
    let got = 0
    let release!: () => void
    const held = new Promise<void>((r) => { release = r })
    const done = new Promise<void>((resolve, reject) => {
      void peers.b.node.handle(PROTOCOL, async (stream) => {
        try {
          const reader = new FrameReader(stream)
          while ((await reader.next()) !== undefined) {
            if (++got === 40) await held // fast at first (yamux's window grows), then stalled
          }
          await stream.close()
          resolve()
        } catch (err) {
          reject(err as Error)
        }
      })
    })
    const stream = await peers.a.node.dialProtocol(peers.b.node.getMultiaddrs(), PROTOCOL)
    const chunk = new Uint8Array(256 * 1024)
    let sent = 0
    let mostBuffered = 0
    const sending = (async () => {
      for (; sent < FRAMES; sent++) {
        await sendFrame(stream, { d: chunk })
        mostBuffered = Math.max(mostBuffered, stream.writeBufferLength)
      }
      await stream.close()
    })()
    await new Promise((r) => setTimeout(r, 2000))
    expect(sent).toBeLessThan(FRAMES) // held back while the receiver takes nothing
    release()
    await sending
    await done
    await peers.b.node.unhandle(PROTOCOL)
    expect(got).toBe(FRAMES)
    expect(mostBuffered).toBeLessThanOrEqual(WRITE_HIGH_WATER + 512 * 1024)
  }, 60_000)
})
