/** How much work a batch of disk events and a rescan cost, in counts: project changes and file reads. */
import { afterEach, describe, expect, it } from 'vitest'
import { promises as fs } from 'node:fs'
import { settle, until, workspaceHarness, type WorkspaceHarness } from './harness.js'

let h: WorkspaceHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

/** A fixed mtime, so a test can set a file's mtime back to exactly what it was (utimes takes seconds). */
const MTIME = 1_700_000_000

describe('workspace: scale', () => {
  it('[W21] 100 files created at once are one batch: a few project changes, not one per file, and every member sees them', async () => {
    h = await workspaceHarness()
    const ws = await h.start()
    const before = ws.stats.projectChanges
    await fs.mkdir(h.disk('data'))
    await Promise.all(Array.from({ length: 100 }, (_, i) => fs.writeFile(h!.disk(`data/f${i}.txt`), `file ${i}\n`)))
    await until(() => h!.files().length === 100, 'the 100 files in the project', 60_000)
    await settle(ws)
    expect(await h.textAt('data/f42.txt')).toBe('file 42\n')
    expect(new Set(h.files().map((f) => f.displayPath)).size).toBe(100)
    expect(ws.stats.projectChanges - before).toBeLessThan(10)
    expect(ws.stats.echoWrites).toBe(0)
  }, 120_000)

  it('[W22] a rescan of an unchanged workspace reads no file (size, mtime and ctime as recorded); a file changed with its mtime set back is read', async () => {
    h = await workspaceHarness()
    await fs.mkdir(h.dir, { recursive: true })
    for (let i = 0; i < 20; i++) {
      await fs.writeFile(h.disk(`f${i}.txt`), `file ${i}\n`)
      await fs.utimes(h.disk(`f${i}.txt`), MTIME, MTIME)
    }
    let ws = await h.start()
    await until(() => h!.files().length === 20, 'the 20 files in the project')
    await settle(ws)
    expect(ws.stats.filesRead).toBeGreaterThanOrEqual(20)
    await ws.stop()

    // Unchanged: the start's rescan is stat-only.
    ws = await h.start()
    await settle(ws)
    expect(ws.stats.rescans).toBe(1)
    expect(ws.stats.filesRead).toBe(0)
    expect(ws.stats.statOnly).toBe(20)
    await ws.stop()

    // Changed while stopped, mtime set back: a different size is read; the same size is read too (ctime moved).
    await fs.writeFile(h.disk('f1.txt'), 'file 1, longer now\n')
    await fs.utimes(h.disk('f1.txt'), MTIME, MTIME)
    await fs.writeFile(h.disk('f2.txt'), 'FILE 2\n')
    await fs.utimes(h.disk('f2.txt'), MTIME, MTIME)
    ws = await h.start()
    await settle(ws)
    expect(ws.stats.filesRead).toBe(2)
    expect(ws.stats.statOnly).toBe(18)
    await until(async () => (await h!.textAt('f1.txt')) === 'file 1, longer now\n' && (await h!.textAt('f2.txt')) === 'FILE 2\n', 'both edits in the documents')
  }, 120_000)
})
