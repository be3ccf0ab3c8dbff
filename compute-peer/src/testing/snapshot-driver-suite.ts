/**
 * The snapshot driver contract test (compute-peer SPEC, Snapshots): every `SnapshotDriver` runs it, on the
 * filesystem it is made for. A driver the host cannot run (BTRFS without root, loop devices or btrfs-progs)
 * is reported as skipped with the reason, never passed silently.
 */
import { lstat, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SnapshotDriver } from '../snapshots/types.js'

/** A fresh driver over an empty workspace and store, and what removes them. */
export interface SnapshotDriverTestContext {
  readonly driver: SnapshotDriver
  /** A folder outside the workspace and the store (to check nothing is written through a link). */
  readonly outside: string
  teardown(): Promise<void>
}

const MB = 1024 * 1024

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

/** Registers the suite; `skip` is the reason this host cannot run the driver (undefined: run). */
export function runSnapshotDriverTests(name: string, setup: () => Promise<SnapshotDriverTestContext>, skip?: string): void {
  if (skip !== undefined) console.warn(`snapshot driver suite "${name}" SKIPPED: ${skip}`)
  const test = it.skipIf(skip !== undefined)
  describe(`snapshot driver contract: ${name}`, () => {
    let c: SnapshotDriverTestContext
    let d: SnapshotDriver
    let ws: string
    beforeEach(async () => {
      if (skip !== undefined) return
      c = await setup()
      d = c.driver
      ws = d.workdir
      await d.prepare()
    })
    afterEach(async () => {
      if (skip === undefined) await c.teardown()
    })
    const put = async (path: string, text: string | Uint8Array): Promise<void> => {
      await mkdir(join(ws, path, '..'), { recursive: true })
      await writeFile(join(ws, path), text)
    }
    const text = async (path: string): Promise<string> => readFile(join(ws, path), 'utf8')

    test('[N1] prepare makes the workspace folder and is idempotent', async () => {
      expect((await lstat(ws)).isDirectory()).toBe(true)
      await put('a.txt', 'kept')
      await d.prepare()
      expect(await text('a.txt')).toBe('kept')
    })

    test('[N2] a snapshot keeps the workspace as it was, whatever changes after; listed oldest first with its metadata', async () => {
      await put('notes.md', 'one')
      await put('data/results.csv', 'x,y\n1,2\n')
      await symlink('notes.md', join(ws, 'link'))
      const first = await d.create({ kind: 'auto', reason: 'interval', heads: { doc1: ['h1', 'h2'] } })
      await put('notes.md', 'two')
      await rm(join(ws, 'data'), { recursive: true })
      const second = await d.create({ kind: 'auto' })
      const list = await d.list()
      expect(list.map((s) => s.id)).toEqual([first.id, second.id])
      expect(list[0]).toMatchObject({ kind: 'auto', reason: 'interval', heads: { doc1: ['h1', 'h2'] } })
      expect(new TextDecoder().decode(await d.read(first.id, 'notes.md'))).toBe('one')
      expect(new TextDecoder().decode(await d.read(first.id, 'data/results.csv'))).toBe('x,y\n1,2\n')
      expect(new TextDecoder().decode(await d.read(second.id, 'notes.md'))).toBe('two')
      expect(await codeOf(d.read(second.id, 'data/results.csv'))).toBe('SNAPSHOT_PATH_NOT_FOUND')
      expect((await d.browse(first.id, '')).map((e) => [e.name, e.type])).toEqual([['data', 'dir'], ['link', 'link'], ['notes.md', 'file']])
      expect(await d.browse(first.id, 'data')).toMatchObject([{ name: 'results.csv', type: 'file', size: 8 }])
    })

    test('[N4] named snapshots need a unique printable name; automatic ones have none', async () => {
      await put('a.txt', 'a')
      const named = await d.create({ kind: 'named', name: 'before the rewrite', by: 'peer-1' })
      expect(named).toMatchObject({ kind: 'named', name: 'before the rewrite', by: 'peer-1' })
      expect(await codeOf(d.create({ kind: 'named', name: 'before the rewrite' }))).toBe('SNAPSHOT_NAME_INVALID')
      expect(await codeOf(d.create({ kind: 'named', name: '' }))).toBe('SNAPSHOT_NAME_INVALID')
      expect(await codeOf(d.create({ kind: 'named', name: 'x'.repeat(101) }))).toBe('SNAPSHOT_NAME_INVALID')
      expect((await d.list()).map((s) => s.kind)).toEqual(['named'])
    })

    test('[N5] paths stay inside the snapshot: bad paths, links, unknown ids and sizes have stable codes', async () => {
      await put('a.txt', 'a'.repeat(100))
      await writeFile(join(c.outside, 'secret'), 'secret')
      await symlink(c.outside, join(ws, 'out'))
      await symlink(join(c.outside, 'secret'), join(ws, 'secret-link'))
      const s = await d.create({ kind: 'auto' })
      for (const bad of ['/a.txt', '../a.txt', 'a/../a.txt', './a.txt', 'a//b', 'a\0b']) {
        expect(await codeOf(d.read(s.id, bad)), bad).toBe('SNAPSHOT_PATH_INVALID')
      }
      expect(await codeOf(d.read(s.id, 'out/secret'))).toBe('SNAPSHOT_PATH_NOT_FOUND')
      expect(await codeOf(d.browse(s.id, 'out'))).toBe('SNAPSHOT_PATH_KIND')
      expect(await codeOf(d.read(s.id, 'secret-link'))).toBe('SNAPSHOT_PATH_KIND')
      expect(await codeOf(d.read(s.id, ''))).toBe('SNAPSHOT_PATH_KIND')
      expect(await codeOf(d.browse(s.id, 'a.txt'))).toBe('SNAPSHOT_PATH_KIND')
      expect(await codeOf(d.read(s.id, 'a.txt', 99))).toBe('SNAPSHOT_FILE_TOO_LARGE')
      expect((await d.read(s.id, 'a.txt', 100)).length).toBe(100)
      expect(await codeOf(d.read('20260101T000000000Z-abcdef', 'a.txt'))).toBe('SNAPSHOT_NOT_FOUND')
      expect(await codeOf(d.read('../../etc', 'passwd'))).toBe('SNAPSHOT_NOT_FOUND')
    })

    test('[N6] restore a file, a folder and the whole project, each file replaced atomically', async () => {
      await put('notes.md', 'one')
      await put('data/a.csv', 'a1')
      await put('data/b.csv', 'b1')
      await put('src/main.py', 'print(1)')
      const s = await d.create({ kind: 'auto' })
      await put('notes.md', 'two')
      await put('data/a.csv', 'a2')
      await rm(join(ws, 'data/b.csv'))
      await put('data/new.csv', 'new')
      await rm(join(ws, 'src'), { recursive: true })
      await put('added.txt', 'added')

      expect(await d.restore(s.id, 'notes.md')).toEqual({ written: 1, removed: 0 })
      expect(await text('notes.md')).toBe('one')
      expect(await text('data/a.csv')).toBe('a2') // a file restore touches nothing else

      expect(await d.restore(s.id, 'data')).toEqual({ written: 2, removed: 1 })
      expect((await readdir(join(ws, 'data'))).sort()).toEqual(['a.csv', 'b.csv'])
      expect(await text('data/a.csv')).toBe('a1')
      expect(await text('added.txt')).toBe('added')

      const all = await d.restore(s.id, '')
      expect(all).toEqual({ written: 1, removed: 1 })
      expect(await text('src/main.py')).toBe('print(1)')
      expect(await lstat(join(ws, 'added.txt')).catch(() => undefined)).toBeUndefined()
      // Nothing half written is left where the workspace runner looks: staging happens in its ignored folder.
      const names = (await readdir(ws, { recursive: true })).filter((n) => n.includes('.quire-tmp-') && !n.startsWith('.quire-tmp/'))
      expect(names).toEqual([])
      expect(await d.restore(s.id, '')).toEqual({ written: 0, removed: 0 }) // nothing changed: nothing rewritten
    })

    test('[N5] a restore never writes through a link the project put where the snapshot has a folder', async () => {
      await put('data/a.csv', 'a1')
      const s = await d.create({ kind: 'auto' })
      await rm(join(ws, 'data'), { recursive: true })
      await symlink(c.outside, join(ws, 'data'))
      await rm(join(ws, '.quire-tmp'), { recursive: true, force: true })
      await symlink(c.outside, join(ws, '.quire-tmp')) // where restores stage their files
      await d.restore(s.id, 'data/a.csv')
      expect(await readdir(c.outside)).toEqual([])
      expect((await lstat(join(ws, 'data'))).isDirectory()).toBe(true)
      expect((await lstat(join(ws, '.quire-tmp'))).isDirectory()).toBe(true)
      expect(await text('data/a.csv')).toBe('a1')
      expect(await codeOf(d.restore(s.id, '../x'))).toBe('SNAPSHOT_PATH_INVALID')
    })

    test('[N7] delete unlists the snapshot and frees its tree; other snapshots are untouched', async () => {
      await put('a.txt', 'a')
      const s1 = await d.create({ kind: 'auto' })
      await put('a.txt', 'b')
      const s2 = await d.create({ kind: 'auto' })
      await d.delete(s1.id)
      expect((await d.list()).map((s) => s.id)).toEqual([s2.id])
      expect(await codeOf(d.read(s1.id, 'a.txt'))).toBe('SNAPSHOT_NOT_FOUND')
      expect(await codeOf(d.delete(s1.id))).toBe('SNAPSHOT_NOT_FOUND')
      expect(new TextDecoder().decode(await d.read(s2.id, 'a.txt'))).toBe('b')
    })

    test('[N3] a snapshot cut short (tree without record) is never listed and is removed by prepare', async () => {
      await put('a.txt', 'a')
      const whole = await d.create({ kind: 'auto' })
      const store = (d as unknown as { store: string }).store
      const stray = join(store, '20260101T000000000Z-0000aa')
      await mkdir(stray)
      await writeFile(join(stray, 'a.txt'), 'half')
      await writeFile(join(store, '20260101T000000001Z-0000bb.json.tmp'), '{')
      expect((await d.list()).map((s) => s.id)).toEqual([whole.id])
      await d.prepare()
      expect((await readdir(store)).sort()).toEqual([whole.id, `${whole.id}.json`])
    })

    test('[N8] beyond the snapshot budget a snapshot is refused with SNAPSHOT_QUOTA_EXCEEDED', async () => {
      await put('big.bin', new Uint8Array(2 * MB).fill(7))
      await d.create({ kind: 'auto' })
      await rm(join(ws, 'big.bin')) // now only the snapshot holds those bytes
      const usage = await d.usage()
      expect(usage.snapshotBytes).toBeGreaterThanOrEqual(MB)
      d.setBudget(MB)
      expect(await codeOf(d.create({ kind: 'named', name: 'n' }))).toBe('SNAPSHOT_QUOTA_EXCEEDED')
      expect(await d.usage()).toMatchObject({ budgetBytes: MB })
      d.setBudget(undefined)
      await d.create({ kind: 'auto' })
      expect(await d.list()).toHaveLength(2)
    })

    test('[N9] a restore that would take the workspace over its quota is refused with WORKSPACE_FULL', async () => {
      await put('big.bin', new Uint8Array(3 * MB).fill(1))
      const s = await d.create({ kind: 'auto' })
      await rm(join(ws, 'big.bin'))
      await d.setQuota(MB)
      expect(await d.usage()).toMatchObject({ quotaBytes: MB })
      expect(await codeOf(d.restore(s.id, 'big.bin'))).toBe('WORKSPACE_FULL')
      expect(await lstat(join(ws, 'big.bin')).catch(() => undefined)).toBeUndefined()
      await d.setQuota(undefined)
      await d.restore(s.id, 'big.bin')
      expect((await lstat(join(ws, 'big.bin'))).size).toBe(3 * MB)
    })
  })
}
