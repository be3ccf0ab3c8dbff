/**
 * Disk changes that race a member's edit of the same document, in a fixed order: the member's edit is made
 * on a copy of the document and merged in only after the workspace has read the disk change, as an edit
 * that was on its way over the network would arrive (automerge-repo sends changes up to 100 ms late, which
 * is longer than the workspace's quiet period). These are the cases W15's random interleavings lost.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { promises as fs } from 'node:fs'
import { next as A } from '@automerge/automerge'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'
import { spliceText, type TextDoc } from '@quire/crdt'
import { readDiskText, settle, until, workspaceHarness, type WorkspaceHarness } from './harness.js'

let h: WorkspaceHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

/** An insert at the start made on a copy of the member's document: merge it in later to deliver it. */
function editOffline(handle: DocHandle<TextDoc>, text: string): A.Doc<TextDoc> {
  return A.change(A.clone(handle.doc()), (d) => spliceText(d, 0, 0, text))
}

/** Waits until the compute peer's repo has every change of the member's document. */
async function computeHas(h: WorkspaceHarness, handle: DocHandle<TextDoc>): Promise<void> {
  const there = await h.compute.find<TextDoc>(handle.url as AutomergeUrl)
  await until(() => JSON.stringify([...there.heads()].sort()) === JSON.stringify([...handle.heads()].sort()), 'the edit at the compute peer')
}

describe('workspace: disk changes racing members\' edits', () => {
  it('[W32] a file renamed on disk over another file is a rename of its entry: a member\'s edit that arrives after the rename was read survives, at the new path', async () => {
    h = await workspaceHarness()
    const a = h.addText('a.txt', 'init-a\n')
    const doc = h.addText('doc-0.txt', '<created-0>\n')
    const ws = await h.start()
    await until(async () => (await readDiskText(h!.disk('doc-0.txt'))) === '<created-0>\n', 'doc-0.txt written')
    const late = editOffline(doc.handle, '<doc0-2>\n')
    await fs.rename(h.disk('doc-0.txt'), h.disk('a.txt'))
    await until(() => h!.entryAt('doc-0.txt') === undefined, 'the rename read')
    await settle(ws)
    doc.handle.update((d) => A.merge(d, late))
    await until(async () => (await readDiskText(h!.disk('a.txt'))) === '<doc0-2>\n<created-0>\n', 'the late edit written to the new path')
    await settle(ws)
    expect(h.files().map((f) => [f.displayPath, f.id])).toEqual([['a.txt', doc.id]])
    expect(h.files().some((f) => f.id === a.id)).toBe(false)
    expect(await h.textAt('a.txt')).toBe('<doc0-2>\n<created-0>\n')
    expect((await fs.readdir(h.dir)).filter((n) => n !== '.quire-tmp')).toEqual(['a.txt'])
    expect(ws.stats.echoWrites).toBe(0)
  })

  it('[W32] a rename over another file while the workspace is stopped, with a member\'s edit made meanwhile, is a rename with the edit written to the new path', async () => {
    h = await workspaceHarness()
    h.addText('a.txt', 'init-a\n')
    const doc = h.addText('doc-0.txt', '<created-0>\n')
    const ws = await h.start()
    await until(async () => (await readDiskText(h!.disk('doc-0.txt'))) === '<created-0>\n', 'doc-0.txt written')
    await ws.stop()
    await fs.rename(h.disk('doc-0.txt'), h.disk('a.txt'))
    doc.handle.change((d) => spliceText(d, 0, 0, '<doc0-2>\n'))
    await computeHas(h, doc.handle)
    await h.start()
    await until(async () => (await readDiskText(h!.disk('a.txt'))) === '<doc0-2>\n<created-0>\n', 'the edit written to the new path')
    await settle(h.workspace)
    expect(h.files().map((f) => [f.displayPath, f.id])).toEqual([['a.txt', doc.id]])
    expect((await fs.readdir(h.dir)).filter((n) => n !== '.quire-tmp')).toEqual(['a.txt'])
  })

  it('[W32] a file renamed over another and appended to before the workspace read it is a rename and an edit of the moved entry', async () => {
    h = await workspaceHarness()
    h.addText('a.txt', 'init-a\n')
    const doc = h.addText('doc-0.txt', 'one\ntwo\nthree\n')
    const ws = await h.start()
    await until(async () => (await readDiskText(h!.disk('doc-0.txt'))) === 'one\ntwo\nthree\n', 'doc-0.txt written')
    const late = editOffline(doc.handle, 'zero\n')
    await fs.rename(h.disk('doc-0.txt'), h.disk('a.txt'))
    await fs.appendFile(h.disk('a.txt'), 'four\n')
    await until(() => h!.entryAt('doc-0.txt') === undefined, 'the rename read')
    await settle(ws)
    doc.handle.update((d) => A.merge(d, late))
    await until(async () => (await readDiskText(h!.disk('a.txt'))) === 'zero\none\ntwo\nthree\nfour\n', 'both edits at the new path')
    await settle(ws)
    expect(h.files().map((f) => [f.displayPath, f.id])).toEqual([['a.txt', doc.id]])
  })

  it('[W33] a file deleted on disk while a member\'s edit of it is on its way: the entry comes back with the edit when the edit arrives', async () => {
    h = await workspaceHarness()
    const doc = h.addText('doc.txt', 'base\n')
    h.addText('other.txt', 'other\n')
    const ws = await h.start()
    await until(async () => (await readDiskText(h!.disk('doc.txt'))) === 'base\n', 'doc.txt written')
    const late = editOffline(doc.handle, 'member edit\n')
    await fs.rm(h.disk('doc.txt'))
    await until(() => h!.entryAt('doc.txt') === undefined, 'the delete read')
    await settle(ws)
    doc.handle.update((d) => A.merge(d, late))
    await until(async () => (await readDiskText(h!.disk('doc.txt'))) === 'member edit\nbase\n', 'the entry back with the edit')
    await settle(ws)
    expect(h.entryAt('doc.txt')?.id).toBe(doc.id)
    expect(h.files().map((f) => f.displayPath).sort()).toEqual(['doc.txt', 'other.txt'])
    expect(ws.stats.echoWrites).toBe(0)
  })

  it('[W33] a late edit of an entry deleted on disk, whose path a new file has taken meanwhile, is carried into that file; without an edit the entry stays deleted', async () => {
    h = await workspaceHarness()
    const doc = h.addText('doc.txt', 'base\n')
    h.addText('quiet.txt', 'quiet\n')
    const ws = await h.start()
    await until(async () => (await readDiskText(h!.disk('doc.txt'))) === 'base\n', 'doc.txt written')
    const late = editOffline(doc.handle, 'member edit\n')
    await fs.rm(h.disk('doc.txt'))
    await fs.rm(h.disk('quiet.txt'))
    await until(() => h!.entryAt('doc.txt') === undefined && h!.entryAt('quiet.txt') === undefined, 'the deletes read')
    await fs.writeFile(h.disk('doc.txt'), 'new file\n')
    await until(() => h!.entryAt('doc.txt') !== undefined, 'the new file read')
    const fresh = h.entryAt('doc.txt')!.id
    doc.handle.update((d) => A.merge(d, late))
    await until(async () => (await readDiskText(h!.disk('doc.txt')))?.includes('member edit\n') === true, 'the late edit in the new file')
    await settle(ws)
    expect(h.files().map((f) => [f.displayPath, f.id])).toEqual([['doc.txt', fresh]])
    const text = (await h.textAt('doc.txt'))!
    expect(text.includes('new file\n')).toBe(true)
    expect(await readDiskText(h.disk('doc.txt'))).toBe(text)
    expect(ws.stats.echoWrites).toBe(0)
  })

  it('[W35] a file moved over a deleted one: a member\'s edit of the replaced entry, arriving after the move was read, is carried into the moved entry at that path', async () => {
    h = await workspaceHarness()
    const a = h.addText('a.txt', 'init-a\n')
    const doc = h.addText('doc-0.txt', '<created-0>\n')
    const ws = await h.start()
    await until(async () => (await readDiskText(h!.disk('doc-0.txt'))) === '<created-0>\n', 'doc-0.txt written')
    const late = editOffline(a.handle, '<doc0-1>\n')
    await fs.rm(h.disk('a.txt'))
    await fs.rename(h.disk('doc-0.txt'), h.disk('a.txt'))
    await until(() => h!.entryAt('doc-0.txt') === undefined, 'the move read')
    await settle(ws)
    a.handle.update((d) => A.merge(d, late))
    await until(async () => (await readDiskText(h!.disk('a.txt')))?.includes('<doc0-1>\n') === true, 'the replaced entry\'s edit at a.txt')
    await settle(ws)
    expect(h.files().map((f) => [f.displayPath, f.id])).toEqual([['a.txt', doc.id]])
    const text = (await h.textAt('a.txt'))!
    expect(text.split('<doc0-1>\n').length - 1).toBe(1)
    expect(text.split('<created-0>\n').length - 1).toBe(1)
    expect(await readDiskText(h.disk('a.txt'))).toBe(text)
    expect(ws.stats.echoWrites).toBe(0)
  })

  it('[W35] a file moved over another while stopped, with a member\'s edit of each made meanwhile: both edits end at the new path', async () => {
    h = await workspaceHarness()
    const a = h.addText('a.txt', 'init-a\n')
    const doc = h.addText('doc-0.txt', '<created-0>\n')
    const ws = await h.start()
    await until(async () => (await readDiskText(h!.disk('doc-0.txt'))) === '<created-0>\n', 'doc-0.txt written')
    await ws.stop()
    await fs.rename(h.disk('doc-0.txt'), h.disk('a.txt'))
    a.handle.change((d) => spliceText(d, 0, 0, '<doc0-1>\n'))
    doc.handle.change((d) => spliceText(d, 0, 0, '<doc0-2>\n'))
    await computeHas(h, a.handle)
    await computeHas(h, doc.handle)
    await h.start()
    await until(async () => { const t = await readDiskText(h!.disk('a.txt')); return t?.includes('<doc0-1>\n') === true && t.includes('<doc0-2>\n') }, 'both edits at a.txt')
    await settle(h.workspace)
    expect(h.files().map((f) => [f.displayPath, f.id])).toEqual([['a.txt', doc.id]])
    const text = (await h.textAt('a.txt'))!
    for (const token of ['<doc0-1>\n', '<doc0-2>\n', '<created-0>\n']) expect(text.split(token).length - 1).toBe(1)
    expect(await readDiskText(h.disk('a.txt'))).toBe(text)
  })
})
