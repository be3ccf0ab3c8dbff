/**
 * On a BTRFS data directory each project's workspace is a subvolume (N1), made by the project's runtime
 * where it used to mkdir; a workspace folder from before is moved into a subvolume with its files.
 */
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Repo } from '@automerge/automerge-repo'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { MemoryLevel } from 'memory-level'
import { BlobStore, ProjectIndex, createProjectWithGrants, peerIdOfKey } from '@quire/node'
import { afterAll, expect, it } from 'vitest'
import { KernelSlots } from '../../src/executor/kernel-slots.js'
import { ProjectExecutor } from '../../src/executor/project-executor.js'
import { prepareSubvolume } from '../../src/snapshots/index.js'
import { FakeLauncher } from '../executor/fake-kernel.js'
import { makeBtrfsLoop } from './btrfs-loop.js'

const loop = await makeBtrfsLoop(256)
const skip = 'reason' in loop ? loop.reason : undefined
if (skip !== undefined) console.warn(`BTRFS workspace tests SKIPPED: ${skip}`)
afterAll(async () => {
  if ('mount' in loop) await loop.close()
})

async function startExecutor(workRoot: string): Promise<{ executor: ProjectExecutor; stop: () => Promise<void> }> {
  const repo = new Repo({ network: [] })
  const index = new ProjectIndex()
  await index.attach(repo)
  const owner = await generateKeyPair('Ed25519')
  const project = await createProjectWithGrants(repo, { name: 'P', owner, index })
  const executor = new ProjectExecutor({
    repo, index, project: project.id, workRoot, networkAllowed: false, checkMs: 50, prepareWorkdir: (dir) => prepareSubvolume(dir),
    env: { peerId: peerIdOfKey(await generateKeyPair('Ed25519')), launcher: new FakeLauncher(), slots: new KernelSlots(1), blobs: new BlobStore(new MemoryLevel<string, Uint8Array>()), idleTimeoutMs: 60_000, log: () => {} },
  })
  await executor.start()
  return { executor, stop: async () => { await executor.stop(); index.stop(); await repo.shutdown() } }
}

it.skipIf(skip !== undefined)('[N1] the project runtime makes the workspace a BTRFS subvolume, and moves an existing workspace folder into one', async () => {
  if (!('mount' in loop)) return
  const fresh = await startExecutor(join(loop.mount, 'a'))
  expect((await lstat(fresh.executor.workdir)).ino).toBe(256)
  expect((await lstat(fresh.executor.workdir)).mode & 0o777).toBe(0o700)
  await fresh.stop()

  const root = join(loop.mount, 'b')
  const repo = new Repo({ network: [] })
  const id = repo.create({}).documentId
  await repo.shutdown()
  const old = join(root, id)
  await mkdir(join(old, 'data'), { recursive: true })
  await writeFile(join(old, 'data', 'results.csv'), 'x\n1\n')
  await prepareSubvolume(old)
  expect((await lstat(old)).ino).toBe(256)
  expect(await readFile(join(old, 'data', 'results.csv'), 'utf8')).toBe('x\n1\n')
  await prepareSubvolume(old) // idempotent
  expect(await readFile(join(old, 'data', 'results.csv'), 'utf8')).toBe('x\n1\n')
})
