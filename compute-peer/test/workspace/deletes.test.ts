import { afterEach, describe, expect, it } from 'vitest'
import { promises as fs } from 'node:fs'
import { spliceText } from '@quire/crdt'
import { readDiskText, settle, until, workspaceHarness, type WorkspaceHarness } from './harness.js'

let h: WorkspaceHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

describe('workspace: deletes', () => {
  it('[W16] a file deleted on disk while a member edits it comes back with the edit; deleted alone, its entry goes', async () => {
    h = await workspaceHarness()
    const kept = h.addText('kept.txt', 'base\n')
    h.addText('gone.txt', 'bye\n')
    const ws = await h.start()
    await ws.stop()
    kept.handle.change((d) => spliceText(d, 0, 0, 'member edit\n'))
    await fs.rm(h.disk('kept.txt'))
    await fs.rm(h.disk('gone.txt'))
    await h.start()
    await until(async () => (await readDiskText(h!.disk('kept.txt'))) === 'member edit\nbase\n' && h!.entryAt('gone.txt') === undefined, 'the edited file back, the other gone')
    await settle(h.workspace)
    expect(h.entryAt('kept.txt')?.id).toBe(kept.id)
  })

  it('[W17] an atomic save followed at once by a delete (which the watcher reports as nothing) still deletes the entry', async () => {
    h = await workspaceHarness()
    h.addText('a.txt', 'one\n')
    const ws = await h.start()
    await fs.writeFile(h.disk('.a.txt.swp'), 'two\n')
    await fs.rename(h.disk('.a.txt.swp'), h.disk('a.txt'))
    await fs.rm(h.disk('a.txt'))
    await until(() => h!.entryAt('a.txt') === undefined, 'the entry deleted')
    await settle(ws)
    expect(h.files()).toEqual([])
  })
})
