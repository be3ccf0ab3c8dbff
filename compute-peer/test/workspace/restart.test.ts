import { afterEach, describe, expect, it } from 'vitest'
import { promises as fs } from 'node:fs'
import { spliceText } from '@quire/crdt'
import { readDiskText, settle, until, workspaceHarness, type WorkspaceHarness } from './harness.js'

let h: WorkspaceHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

describe('workspace: restart', () => {
  it('[W14] changes made on both sides while stopped are reconciled on start: text merges at the recorded base, new, deleted and renamed files on both sides', async () => {
    h = await workspaceHarness()
    const shared = h.addText('shared.txt', 'first line\nlast line\n')
    h.addText('gone-on-disk.txt', 'delete me on disk')
    const gone = h.addText('gone-in-doc.txt', 'delete me in the document')
    const moving = h.addText('move-me.txt', 'moved on disk while stopped')
    await h.start()
    await h.workspace.stop()
    // While stopped: the disk and the documents both change.
    await fs.writeFile(h.disk('shared.txt'), 'first line\nlast line, edited on disk\n')
    shared.handle.change((d) => spliceText(d, 0, 0, 'member: '))
    await fs.writeFile(h.disk('new-on-disk.txt'), 'made by a kernel')
    await fs.rm(h.disk('gone-on-disk.txt'))
    await fs.rename(h.disk('move-me.txt'), h.disk('moved.txt'))
    h.project.change((d) => { delete (d.files as Record<string, unknown>)[gone.id] })
    h.addText('new-in-doc.txt', 'made by a member')
    const ws = await h.start()
    const merged = 'member: first line\nlast line, edited on disk\n'
    await until(async () => (await h!.textAt('shared.txt')) === merged && (await readDiskText(h!.disk('shared.txt'))) === merged, 'the merged text on both sides')
    await until(async () => (await readDiskText(h!.disk('new-in-doc.txt'))) === 'made by a member', 'the new document on disk')
    await settle(ws)
    expect(await h.textAt('new-on-disk.txt')).toBe('made by a kernel')
    expect(h.entryAt('gone-on-disk.txt')).toBeUndefined()
    expect(await readDiskText(h.disk('gone-in-doc.txt'))).toBeUndefined()
    expect(h.entryAt('moved.txt')?.id).toBe(moving.id)
    expect(h.files().map((f) => f.path).sort()).toEqual(['moved.txt', 'new-in-doc.txt', 'new-on-disk.txt', 'shared.txt'])
    expect(ws.stats.echoWrites).toBe(0)
  })
})
