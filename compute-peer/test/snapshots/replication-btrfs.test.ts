/**
 * Replication in format `btrfs` (N25, N26, N23): the serving compute peer's data directory and the standby's
 * are two loop-device BTRFS filesystems (as root); a snapshot travels as `btrfs send -p <parent>` into
 * `btrfs receive`. Skipped, with the reason printed, where the host cannot make them.
 */
import { randomBytes } from 'node:crypto'
import { lstat, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { BtrfsSnapshotDriver, pushSnapshots, ReplicaStore, serveReplicas, shapeDigest, type PushInit, type SnapshotInfo } from '../../src/snapshots/index.js'
import { makeBtrfsLoop, type BtrfsLoop } from './btrfs-loop.js'
import { codeOf, sameFile, flipByteIn, replicationPeers, type ReplicationPeers } from './replication-peers.js'

const loops: BtrfsLoop[] = [await makeBtrfsLoop(256), await makeBtrfsLoop(256)]
const skip = loops.map((l) => ('reason' in l ? l.reason : undefined)).find((r) => r !== undefined)
if (skip !== undefined) console.warn(`replication over btrfs send/receive SKIPPED: ${skip}`)
const BIG = 8 * 1024 * 1024

let peers: ReplicationPeers
let source: BtrfsSnapshotDriver
let replicas: ReplicaStore
let dir: string
const stops: Array<() => Promise<void>> = []

beforeAll(async () => {
  if (skip !== undefined) return
  const [fa, fb] = loops.map((l) => (l as { mount: string }).mount) as [string, string]
  peers = await replicationPeers()
  source = new BtrfsSnapshotDriver({ workdir: join(fa, 'projects', 'p'), store: join(fa, 'snapshots', 'p') })
  await source.prepare()
  const root = join(fb, 'replicas')
  replicas = new ReplicaStore(join(root, peers.project.id))
  const server = await serveReplicas({ libp2p: peers.b.node, access: peers.access(peers.b), root, kind: 'btrfs' })
  // A standby whose data directory is not on BTRFS: it takes files.
  dir = await mkdtemp(join(tmpdir(), 'quire-replica-copy-'))
  const copyServer = await serveReplicas({ libp2p: peers.owner.node, access: { isComputePeer: async () => true, serving: () => false }, root: join(dir, 'replicas'), kind: 'copy' })
  stops.push(() => server.stop(), () => copyServer.stop())
}, 60_000)

afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined)
  await peers?.stop()
  if (source !== undefined) for (const s of await source.list()) await source.delete(s.id).catch(() => undefined)
  for (const s of (await replicas?.list()) ?? []) await replicas.drop(s.id).catch(() => undefined)
  for (const l of loops) if ('mount' in l) await l.close()
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

function push(extra: Partial<PushInit> = {}): ReturnType<typeof pushSnapshots> {
  return pushSnapshots({ libp2p: peers.a.node, to: peers.b.id, dial: peers.b.node.getMultiaddrs(), project: peers.project.id, source, access: peers.access(peers.a), ...extra })
}

async function snapshot(): Promise<SnapshotInfo> {
  await new Promise((r) => setTimeout(r, 5))
  return source.create({ kind: 'auto', heads: { [peers.project.id]: [...peers.project.project.heads()] } })
}

it.skipIf(skip !== undefined)('[N25] [N26] snapshots reach the standby as btrfs streams: whole first, then only the change against the parent', async () => {
  await writeFile(join(source.workdir, 'big.bin'), randomBytes(BIG))
  await writeFile(join(source.workdir, 'small.txt'), 'v1')
  const first = await snapshot()
  const [whole] = await push()
  expect(whole).toMatchObject({ id: first.id, format: 'btrfs' })
  expect(whole!.bytes).toBeGreaterThan(BIG)
  expect((await lstat(replicas.tree(first.id))).ino).toBe(256) // a received subvolume
  await writeFile(join(source.workdir, 'small.txt'), 'v2, changed')
  const second = await snapshot()
  const [increment] = await push()
  expect(increment).toMatchObject({ id: second.id, parent: first.id, format: 'btrfs' })
  // A send stream of the changed file's blocks and metadata: nothing near the 8 MiB that did not change.
  expect(increment!.bytes).toBeLessThan(BIG / 50)
  const tree = replicas.tree(second.id)
  expect(await readFile(join(tree, 'small.txt'), 'utf8')).toBe('v2, changed')
  expect(await sameFile(join(tree, 'big.bin'), join(source.workdir, 'big.bin'))).toBe(true)
  expect(await shapeDigest(tree)).toBe(await shapeDigest(join(source.store, second.id)))
  expect((await replicas.list()).map((r) => r.id)).toEqual([first.id, second.id])
}, 120_000)

it.skipIf(skip !== undefined)('[N23] a damaged btrfs stream is refused with REPLICA_CORRUPT and leaves no subvolume', async () => {
  await writeFile(join(source.workdir, 'big.bin'), randomBytes(BIG))
  const changed = await snapshot()
  expect(await codeOf(push({ tamper: flipByteIn(2) }))).toBe('REPLICA_CORRUPT')
  expect((await replicas.list()).map((r) => r.id)).not.toContain(changed.id)
  expect(await lstat(replicas.tree(changed.id)).catch(() => undefined)).toBeUndefined()
  expect((await push()).map((s) => s.id)).toEqual([changed.id])
}, 120_000)

it.skipIf(skip !== undefined)('[N25] a standby not on BTRFS gets the snapshot as files', async () => {
  const sent = await pushSnapshots({ libp2p: peers.a.node, to: peers.owner.id, dial: peers.owner.node.getMultiaddrs(), project: peers.project.id, source, access: { isComputePeer: async () => true } })
  const newest = (await source.list()).at(-1)!
  expect(sent).toEqual([expect.objectContaining({ id: newest.id, format: 'files' })])
  const copy = new ReplicaStore(join(dir, 'replicas', peers.project.id))
  expect(await sameFile(join(copy.tree(newest.id), 'big.bin'), join(source.store, newest.id, 'big.bin'))).toBe(true)
}, 120_000)
