/**
 * Snapshots in the running compute peer (N1, N10), its data directory on a loop-device BTRFS: the project's
 * workspace is a subvolume, and a member's edit leads to a snapshot holding the file, recorded with the
 * heads of the project's documents. The compute peer and the member are child processes.
 */
import { lstat, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { createQuireNode } from '@quire/node'
import { stopAllProcesses, type PeerProcess } from '@quire/node/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startComputeProcess, startNotebookMember, type NotebookMemberCommands } from '../../src/testing/index.js'
import { requestSnapshots } from '../../src/snapshots/index.js'
import { makeBtrfsLoop } from './btrfs-loop.js'

const loop = await makeBtrfsLoop(512)
const skip = 'reason' in loop ? loop.reason : undefined
if (skip !== undefined) console.warn(`compute peer on BTRFS SKIPPED: ${skip}`)

let member: PeerProcess<NotebookMemberCommands>
let projectId: string
let dataDir: string
let computeAddress: string

beforeAll(async () => {
  if (!('mount' in loop)) return
  member = await startNotebookMember({ readyTimeout: 60_000 })
  const info = member.info as unknown as { peerId: string; projectId: string }
  projectId = info.projectId
  dataDir = join(loop.mount, 'compute-data')
  const started = await startComputeProcess(['--data-dir', dataDir, '--project', `${info.projectId}@${info.peerId}`, '--snapshot-interval-seconds', '1'])
  await member.request('grantCompute', { peerId: started.info.peerId })
  computeAddress = started.info.addresses[0]!
  await member.request('dial', { address: computeAddress })
}, 180_000)

afterAll(async () => {
  await stopAllProcesses()
  if ('mount' in loop) await loop.close()
})

async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await get()
    if (ok(v)) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 300)}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

it.skipIf(skip !== undefined)('[N1] [N10] on a BTRFS data directory the workspace is a subvolume and a member\'s edit is snapshotted with the documents\' heads', async () => {
  const workdir = join(dataDir, 'projects', projectId)
  const store = join(dataDir, 'services', 'snapshots', projectId)
  await until(() => lstat(workdir).then((s) => s.ino, () => 0), (ino) => ino === 256, 'the workspace subvolume')
  await member.request('addText', { path: 'data/results.csv', content: 'x,y\n1,2\n' })
  const records = await until(async () => {
    const names = (await readdir(store).catch(() => [] as string[])).filter((n) => n.endsWith('.json'))
    const infos = await Promise.all(names.map(async (n) => JSON.parse(await readFile(join(store, n), 'utf8')) as { id: string; heads: Record<string, string[]> }))
    const withFile = []
    for (const info of infos) {
      if (await lstat(join(store, info.id, 'data', 'results.csv')).then(() => true, () => false)) withFile.push(info)
    }
    return withFile
  }, (l) => l.length > 0, 'a snapshot holding data/results.csv')
  const snap = records[0]!
  expect((await lstat(join(store, snap.id))).ino).toBe(256) // a subvolume snapshot, not a copy
  expect(await readFile(join(store, snap.id, 'data', 'results.csv'), 'utf8')).toBe('x,y\n1,2\n')
  expect(Object.keys(snap.heads)).toContain(projectId)
  expect(Object.keys(snap.heads).length).toBeGreaterThanOrEqual(3) // project, grants, the text file's document
}, 180_000)

it.skipIf(skip !== undefined)('[N15] the running compute peer answers /quire/snapshot/1.0.0 and refuses a stranger', async () => {
  const node = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
  try {
    await expect(requestSnapshots(node, multiaddr(computeAddress), { op: 'list', project: projectId })).rejects.toMatchObject({ code: 'SNAPSHOT_ACCESS_DENIED' })
  } finally {
    await node.stop()
  }
}, 60_000)

it.skipIf(skip !== undefined)('[N13] [N16] a writer restores a file over the protocol: the file and its document come back as new changes the member sees', async () => {
  const store = join(dataDir, 'services', 'snapshots', projectId)
  await member.request('addText', { path: 'notes.md', content: 'the original' })
  // A snapshot that holds the original, taken by the interval once the workspace wrote it.
  const original = await until(async () => {
    const listed = await member.request('snapshots', { address: computeAddress, request: { op: 'list' } })
    const ids = ((listed['snapshots'] ?? []) as Array<{ id: string }>).map((s) => s.id)
    for (const id of ids.reverse()) {
      if ((await readFile(join(store, id, 'notes.md'), 'utf8').catch(() => '')) === 'the original') return id
    }
    return undefined
  }, (id) => id !== undefined, 'a snapshot holding notes.md')
  expect(await member.request('setText', { path: 'notes.md', content: 'a bad edit' })).toBe(true)
  await until(() => readFile(join(dataDir, 'projects', projectId, 'notes.md'), 'utf8').catch(() => ''), (t) => t === 'a bad edit', 'the edit on disk')
  const restored = await member.request('snapshots', { address: computeAddress, request: { op: 'restore', id: original!, path: 'notes.md' } })
  expect(restored).toMatchObject({ ok: true, written: 1 })
  expect(restored['before']).toMatchObject({ reason: 'before-restore' })
  // The workspace turns the restored file into changes of the document: the member reads the original again.
  await until(() => member.request('readText', { path: 'notes.md' }), (t) => t === 'the original', 'the restored text at the member')
  const files = await member.request('files', undefined)
  expect(files.filter((f) => f.path === 'notes.md')).toHaveLength(1)
}, 180_000)
