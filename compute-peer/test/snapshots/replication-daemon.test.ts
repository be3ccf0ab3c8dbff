/**
 * Replication between two running compute peers (N19, N27, N28), each with its data directory on its own
 * loop-device BTRFS: the member names A the project's compute peer and grants both the compute role; A
 * snapshots and pushes to B (which B dialled at start); then A is killed and its data directory destroyed,
 * the member names B, and B restores the workspace from its replica (a file the documents never held comes
 * back) while the documents come from the member. The compute peers and the member are child processes.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stopAllProcesses, type PeerProcess } from '@quire/node/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startComputeProcess, startNotebookMember, type ComputeProcessInfo, type NotebookMemberCommands } from '../../src/testing/index.js'
import { makeBtrfsLoop, type BtrfsLoop } from './btrfs-loop.js'

const loops: BtrfsLoop[] = [await makeBtrfsLoop(512), await makeBtrfsLoop(512)]
const skip = loops.map((l) => ('reason' in l ? l.reason : undefined)).find((r) => r !== undefined)
if (skip !== undefined) console.warn(`replication between compute peers SKIPPED: ${skip}`)

let member: PeerProcess<NotebookMemberCommands>
let projectId: string
let a: { proc: PeerProcess; info: ComputeProcessInfo }
let b: { proc: PeerProcess; info: ComputeProcessInfo }
let dataA: string
let dataB: string

beforeAll(async () => {
  if (skip !== undefined) return
  const [fa, fb] = loops.map((l) => (l as { mount: string }).mount) as [string, string]
  member = await startNotebookMember({ readyTimeout: 60_000 })
  const info = member.info as unknown as { peerId: string; projectId: string }
  projectId = info.projectId
  dataA = join(fa, 'compute-a')
  dataB = join(fb, 'compute-b')
  const common = ['--project', `${projectId}@${info.peerId}`, '--snapshot-interval-seconds', '1', '--replica-push-seconds', '1']
  a = await startComputeProcess(['--data-dir', dataA, ...common])
  // B dials A at start: the serving peer pushes to the standbys it is connected to.
  b = await startComputeProcess(['--data-dir', dataB, '--bootstrap', a.info.addresses[0]!, ...common])
  await member.request('setComputePeer', { peerId: a.info.peerId })
  await member.request('grantCompute', { peerId: a.info.peerId })
  await member.request('grantCompute', { peerId: b.info.peerId })
  await member.request('dial', { address: a.info.addresses[0]! })
  await member.request('dial', { address: b.info.addresses[0]! })
}, 180_000)

afterAll(async () => {
  await stopAllProcesses()
  for (const l of loops) if ('mount' in l) await l.close()
})

async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await get()
    if (ok(v)) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 300)}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** Replica ids B lists whose tree holds `path` with `content`. */
async function replicasHolding(path: string, content: string): Promise<string[]> {
  const store = join(dataB, 'replicas', projectId)
  const ids = (await readdir(store).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5))
  const out: string[] = []
  for (const id of ids) if ((await readFile(join(store, id, path), 'utf8').catch(() => '')) === content) out.push(id)
  return out
}

it.skipIf(skip !== undefined)('[N19] [N27] [N28] the standby holds the serving peer\'s snapshots; A lost, B restores the project from them', async () => {
  const wsA = join(dataA, 'projects', projectId)
  await member.request('addText', { path: 'notes.md', content: 'in the documents' })
  await until(() => readFile(join(wsA, 'notes.md'), 'utf8').catch(() => ''), (t) => t === 'in the documents', 'notes.md on A')
  // What only the workspace holds (the workspace never puts .git/ in a document, W10).
  await mkdir(join(wsA, '.git'), { recursive: true })
  await writeFile(join(wsA, '.git', 'HEAD'), 'ref: refs/heads/replicated\n')
  await until(() => replicasHolding('.git/HEAD', 'ref: refs/heads/replicated\n'), (ids) => ids.length > 0, 'a replica on B holding .git/HEAD')
  // A is lost with its disk (the whole filesystem goes, read-only snapshots and all); the member names B.
  await a.proc.kill()
  await (loops[0] as { close(): Promise<void> }).close()
  loops[0] = { reason: 'destroyed by the test' }
  expect(await readdir(dataA).catch(() => undefined)).toBeUndefined()
  await member.request('setComputePeer', { peerId: b.info.peerId })
  const wsB = join(dataB, 'projects', projectId)
  expect(await until(() => readFile(join(wsB, '.git', 'HEAD'), 'utf8').catch(() => ''), (t) => t !== '', '.git/HEAD restored on B')).toBe('ref: refs/heads/replicated\n')
  expect(await until(() => readFile(join(wsB, 'notes.md'), 'utf8').catch(() => ''), (t) => t !== '', 'notes.md on B')).toBe('in the documents')
  // B now serves the project and snapshots it itself.
  await until(async () => (await readdir(join(dataB, 'services', 'snapshots', projectId)).catch(() => [] as string[])).filter((n) => n.endsWith('.json')), (l) => l.length > 0, 'a snapshot taken by B')
}, 240_000)
