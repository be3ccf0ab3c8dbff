/**
 * The snapshot service (N10-N13) with a real repo and real disk, on both drivers (BTRFS on a loop device
 * when the host allows): snapshots only when the project changed, the heads of every document recorded,
 * the ladder and the budget prune automatic snapshots only, a restore is preceded by a snapshot.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repo, type DocHandle } from '@automerge/automerge-repo'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { addFile, createText, type TextDoc } from '@quire/crdt'
import { ProjectIndex, createProjectWithGrants, projectDocumentIds, type CreatedProject } from '@quire/node'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { prepareSubvolume, prunedByLadder, snapshotService, type ProjectSnapshots, type SnapshotDriverKind, type SnapshotInfo, type SnapshotPolicy } from '../../src/snapshots/index.js'
import { makeBtrfsLoop } from './btrfs-loop.js'

const loop = await makeBtrfsLoop(256)
const btrfsSkip = 'reason' in loop ? loop.reason : undefined
if (btrfsSkip !== undefined) console.warn(`snapshot service on BTRFS SKIPPED: ${btrfsSkip}`)
afterAll(async () => {
  if ('mount' in loop) await loop.close()
})

const MB = 1024 * 1024

interface World {
  repo: Repo
  index: ProjectIndex
  project: CreatedProject
  text: DocHandle<TextDoc>
  dir: string
  workdir: string
  abort: AbortController
  service?: ProjectSnapshots
}

async function world(root: string, kind: SnapshotDriverKind): Promise<World> {
  const repo = new Repo({ network: [] })
  const index = new ProjectIndex()
  await index.attach(repo)
  const project = await createProjectWithGrants(repo, { name: 'P', owner: await generateKeyPair('Ed25519'), index })
  const text = repo.create<TextDoc>(createText('hello'))
  project.project.change((d) => { addFile(d, { path: 'notes.md', kind: 'text', url: text.url }) })
  const dir = await mkdtemp(join(root, 'svc-'))
  const workdir = join(dir, 'projects', project.id)
  if (kind === 'btrfs') await prepareSubvolume(workdir)
  else await mkdir(workdir, { recursive: true })
  return { repo, index, project, text, dir, workdir, abort: new AbortController() }
}

async function start(w: World, kind: SnapshotDriverKind, policy: Partial<SnapshotPolicy>): Promise<ProjectSnapshots> {
  const service = await snapshotService({ kind, policy })({
    project: w.project.id, repo: w.repo, workdir: w.workdir, peerId: 'compute', signal: w.abort.signal,
    stateDir: (name) => join(w.dir, 'services', name, w.project.id),
    network: () => false, isWriter: async () => true, canRead: async () => true, log: () => {},
  }) as ProjectSnapshots
  w.service = service
  return service
}

async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await get()
    if (ok(v)) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 300)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const kinds: Array<[SnapshotDriverKind, string | undefined]> = [['copy', undefined], ['btrfs', btrfsSkip]]

for (const [kind, skip] of kinds) {
  describe(`the snapshot service (${kind})`, () => {
    let w: World
    beforeEach(async () => {
      if (skip === undefined) w = await world(kind === 'btrfs' && 'mount' in loop ? loop.mount : tmpdir(), kind)
    })
    afterEach(async () => {
      if (skip !== undefined) return
      await w.service?.stop()
      w.abort.abort()
      w.index.stop()
      await w.repo.shutdown()
      for (const s of await w.service?.driver.list() ?? []) await w.service!.driver.delete(s.id)
      await rm(w.dir, { recursive: true, force: true })
    })

    it.skipIf(skip !== undefined)('[N10] snapshots on its interval only when the documents or the files changed, recording every document\'s heads', async () => {
      const s = await start(w, kind, { intervalMs: 60 })
      const first = await until(() => s.driver.list(), (l) => l.length === 1, 'the first snapshot')
      expect(first[0]).toMatchObject({ kind: 'auto', reason: 'interval' })
      const heads = first[0]!.heads!
      expect(Object.keys(heads)).toEqual(expect.arrayContaining([w.project.id, w.project.grants.documentId, w.text.documentId]))
      expect(Object.keys(heads).sort()).toEqual(projectDocumentIds(w.project.id, w.project.project.doc()).sort())
      expect(heads[w.text.documentId]).toEqual([...w.text.heads()])
      await new Promise((r) => setTimeout(r, 400)) // several intervals, nothing changed
      expect(await s.driver.list()).toHaveLength(1)

      w.text.change((d) => { d.content = 'hello world' })
      const second = await until(() => s.driver.list(), (l) => l.length === 2, 'a snapshot after a document change')
      expect(second[1]!.heads![w.text.documentId]).toEqual([...w.text.heads()])

      await writeFile(join(w.workdir, 'build.log'), 'only on disk')
      await until(() => s.driver.list(), (l) => l.length === 3, 'a snapshot after a file change')
      await s.stop()
      await writeFile(join(w.workdir, 'after-stop.txt'), 'x')
      await new Promise((r) => setTimeout(r, 300))
      expect(await s.driver.list()).toHaveLength(3) // stopped: no more snapshots
    })

    it.skipIf(skip !== undefined)('[N11] [N12] the ladder and the budget prune automatic snapshots, oldest first, never named ones', async () => {
      const s = await start(w, kind, { intervalMs: 3_600_000, ladder: [{ everyMs: 1, keep: 2 }] })
      await writeFile(join(w.workdir, 'a.txt'), '0')
      const named = await s.named('keep me', 'writer-1')
      for (let i = 1; i <= 4; i++) {
        await writeFile(join(w.workdir, 'a.txt'), String(i))
        await new Promise((r) => setTimeout(r, 5))
        expect(await s.tick()).toBeDefined()
      }
      let list = await s.driver.list()
      expect(list.filter((x) => x.kind === 'auto')).toHaveLength(2)
      expect(list.some((x) => x.id === named.id)).toBe(true)
      expect(new TextDecoder().decode(await s.driver.read(list.at(-1)!.id, 'a.txt'))).toBe('4')

      // Over budget: the oldest automatic snapshots go first, until the new one fits.
      await writeFile(join(w.workdir, 'big.bin'), new Uint8Array(2 * MB).fill(3))
      await s.tick()
      await rm(join(w.workdir, 'big.bin'))
      s.driver.setBudget(MB)
      const autosBefore = (await s.driver.list()).filter((x) => x.kind === 'auto').map((x) => x.id)
      const taken = await s.tick()
      list = await s.driver.list()
      expect(taken).toBeDefined()
      expect(list.map((x) => x.id)).toContain(named.id)
      expect(autosBefore.every((id) => !list.some((x) => x.id === id))).toBe(true)
      // Only named snapshots left, still over budget: a named snapshot is refused, none is pruned.
      await writeFile(join(w.workdir, 'big2.bin'), new Uint8Array(2 * MB).fill(4))
      await s.named('big', 'writer-1')
      await rm(join(w.workdir, 'big2.bin'))
      await expect(s.named('one more', 'writer-1')).rejects.toMatchObject({ code: 'SNAPSHOT_QUOTA_EXCEEDED' })
      expect((await s.driver.list()).filter((x) => x.kind === 'named').map((x) => x.name)).toEqual(['keep me', 'big'])
    })

    it.skipIf(skip !== undefined)('[N13] a restore is preceded by a snapshot of the state it replaces, so it can be undone', async () => {
      const s = await start(w, kind, { intervalMs: 3_600_000 })
      await writeFile(join(w.workdir, 'results.csv'), 'v1')
      const v1 = (await s.tick())!
      await writeFile(join(w.workdir, 'results.csv'), 'v2')
      const r = await s.restore(v1.id, 'results.csv', 'writer-1')
      expect(r).toMatchObject({ written: 1, before: { kind: 'auto', reason: 'before-restore', by: 'writer-1' } })
      expect(await readFile(join(w.workdir, 'results.csv'), 'utf8')).toBe('v1')
      expect(new TextDecoder().decode(await s.driver.read(r.before!.id, 'results.csv'))).toBe('v2')
      expect(await s.tick()).toBeDefined() // the restored state is snapshotted on the next interval
      const again = await s.restore(v1.id, 'results.csv', 'writer-1')
      expect(again.before).toBeUndefined() // nothing changed since the last snapshot: none taken
      await expect(s.restore('20260101T000000000Z-abcdef', '', 'w')).rejects.toMatchObject({ code: 'SNAPSHOT_NOT_FOUND' })
    })
  })
}

describe('the retention ladder', () => {
  const at = (minutes: number, kind: 'auto' | 'named' = 'auto'): SnapshotInfo => ({ id: `s${minutes}`, createdAt: minutes * 60_000, kind })
  it('[N11] keeps the newest of each of the latest periods of each rung, the newest always, named ones never pruned', () => {
    // Every 5 minutes for 3 hours; rungs: 4 quarter hours, 2 hours.
    const all = Array.from({ length: 37 }, (_, i) => at(i * 5))
    all.push(at(7, 'named'))
    const pruned = prunedByLadder(all, [{ everyMs: 15 * 60_000, keep: 4 }, { everyMs: 60 * 60_000, keep: 2 }], 190 * 60_000).map((s) => s.id)
    const kept = all.filter((s) => !pruned.includes(s.id)).map((s) => s.id).sort()
    // Quarter hours 12, 11, 10, 9 -> 180, 175, 160, 145; hours 3, 2 -> 180, 175.
    expect(kept).toEqual(['s145', 's160', 's175', 's180', 's7'].sort())
    expect(pruned[0]).toBe('s0') // oldest first
    expect(prunedByLadder([at(1)], [], 0)).toEqual([])
    // Younger than the first rung's period: all kept (a snapshot before a restore outlives the one after it).
    const recent = [at(100), at(101), at(102)]
    expect(prunedByLadder(recent, [{ everyMs: 15 * 60_000, keep: 4 }], 110 * 60_000)).toEqual([])
    expect(prunedByLadder(recent, [{ everyMs: 15 * 60_000, keep: 4 }], 200 * 60_000).map((s) => s.id)).toEqual(['s100', 's101'])
  })
})
