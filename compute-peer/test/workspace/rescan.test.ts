/**
 * W41: a pass of the writer works from the records while the project document has the heads at which the
 * records last held every entry. Each test here is a change that shortcut must not miss.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { addFile, deleteFile, renameFile, spliceText } from '@quire/crdt'
import { StateStore } from '../../src/workspace/state-store.js'
import { readDiskText, settle, until, workspaceHarness, type WorkspaceHarness } from './harness.js'

let h: WorkspaceHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** A project with a text, a notebook, a blob and an empty folder, synced once and stopped. */
async function syncedProject(): Promise<{ h: WorkspaceHarness; text: ReturnType<WorkspaceHarness['addText']>; blobId: string }> {
  const harness = await workspaceHarness()
  h = harness // closed by afterEach even when the setup below fails
  const text = harness.addText('notes/a.txt', 'one\ntwo\n')
  harness.addNotebook('nb.ipynb', ['print(1)'])
  const bytes = new Uint8Array([1, 2, 0, 3])
  await harness.blobs.put(bytes)
  let blobId = ''
  harness.project.change((d) => {
    blobId = addFile(d, { path: 'data/x.bin', kind: 'blob', sha256: sha(bytes), size: bytes.length, mime: 'application/octet-stream' })
    addFile(d, { path: 'empty', kind: 'folder' })
  })
  const ws = await harness.start()
  await until(async () => (await readDiskText(harness.disk('notes/a.txt'))) === 'one\ntwo\n' && (await fs.stat(harness.disk('data/x.bin')).catch(() => undefined)) !== undefined, 'the files on disk')
  await settle(ws)
  expect(ws.stats.projectReads).toBeGreaterThan(0)
  await ws.stop()
  return { h: harness, text, blobId }
}

describe('workspace: restart from the records (W41)', () => {
  it('[W41] the records forget the project heads on any change of an entry\'s id, path, kind, URL or blob hash, keep them across a save, and not for a text\'s new bytes', async () => {
    const base = mkdtempSync(join(tmpdir(), 'quire-records-'))
    try {
      const store = new StateStore(join(base, 'records.json'))
      store.set({ id: 't', path: 'a.txt', kind: 'text', hash: 'h1', size: 1, heads: ['x'], url: 'automerge:abc' })
      store.set({ id: 'b', path: 'b.bin', kind: 'blob', hash: 'b1', size: 1 })
      store.markComplete(['h2', 'h1'])
      expect(store.completeAt(['h1', 'h2'])).toBe(true)
      expect(store.completeAt(['h1'])).toBe(false)
      store.set({ ...store.get('t')!, hash: 'h9', size: 5, heads: ['y'] })
      expect(store.completeAt(['h1', 'h2'])).toBe(true)
      await store.save()
      const again = new StateStore(join(base, 'records.json'))
      await again.load()
      expect(again.completeAt(['h2', 'h1'])).toBe(true)
      const forget: Array<(s: StateStore) => void> = [
        (s) => s.set({ ...s.get('t')!, path: 'moved.txt' }),
        (s) => s.set({ ...s.get('t')!, url: 'automerge:other' }),
        (s) => s.set({ ...s.get('b')!, hash: 'b2' }),
        (s) => s.set({ ...s.get('b')!, kind: 'text' }),
        (s) => s.set({ id: 'new', path: 'n.txt', kind: 'folder', hash: '', size: 0 }),
        (s) => s.delete('b'),
      ]
      for (const change of forget) {
        const s = new StateStore(join(base, 'records.json'))
        await s.load()
        change(s)
        expect(s.completeAt(['h1', 'h2'])).toBe(false)
      }
    } finally {
      rmSync(base, { recursive: true, force: true })
    }
  })

  it('[W41] a restart with nothing changed reads neither the project document nor any file, and writes nothing', async () => {
    const p = await syncedProject()
    h = p.h
    const ws = await h.start()
    await settle(ws)
    expect(ws.stats.projectReads).toBe(0)
    expect(ws.stats.filesRead).toBe(0)
    expect(ws.stats.filesWritten).toBe(0)
    expect(ws.stats.statOnly).toBe(3)
    expect(ws.status.state).toBe('idle')
  }, 60_000)

  it('[W41] a member\'s edit of a text document while stopped (the project document unchanged) is written on restart, from the records', async () => {
    const p = await syncedProject()
    h = p.h
    p.text.handle.change((d) => spliceText(d, 0, 0, 'zero\n'))
    const ws = await h.start()
    await until(async () => (await readDiskText(h!.disk('notes/a.txt'))) === 'zero\none\ntwo\n', 'the member\'s edit on disk')
    await settle(ws)
    expect(ws.stats.projectReads).toBe(0)
    expect(ws.stats.echoWrites).toBe(0)
  }, 60_000)

  it('[W41] a member\'s changes of the project while stopped (new, renamed and deleted entries, a blob replaced) are read whole on restart and reach the disk', async () => {
    const p = await syncedProject()
    h = p.h
    const bytes = new Uint8Array([7, 7, 0, 7])
    await h.blobs.put(bytes)
    h.project.change((d) => {
      addFile(d, { path: 'new.bin', kind: 'blob', sha256: sha(bytes), size: bytes.length, mime: 'application/octet-stream' })
      renameFile(d, p.text.id, 'notes/b.txt')
      deleteFile(d, p.blobId)
    })
    const ws = await h.start()
    await until(async () => (await readDiskText(h!.disk('notes/b.txt'))) === 'one\ntwo\n' && (await fs.readFile(h!.disk('new.bin')).catch(() => undefined))?.equals(Buffer.from(bytes)) === true, 'the new and the renamed file on disk')
    await until(async () => (await fs.stat(h!.disk('data/x.bin')).catch(() => undefined)) === undefined, 'the deleted blob gone from disk')
    await settle(ws)
    expect(ws.stats.projectReads).toBeGreaterThan(0)
    expect(await readDiskText(h.disk('notes/a.txt'))).toBeUndefined()
  }, 60_000)

  it('[W41] records that did not hold every entry are not trusted: a blob missing when the workspace stopped is written on restart, the project unchanged', async () => {
    h = await workspaceHarness()
    const bytes = new Uint8Array([5, 0, 5])
    h.project.change((d) => { addFile(d, { path: 'late.bin', kind: 'blob', sha256: sha(bytes), size: bytes.length, mime: 'application/octet-stream' }) })
    h.addText('t.txt', 'text\n')
    let ws = await h.start()
    await until(() => ws.status.problems.some((x) => x.code === 'WORKSPACE_BLOB_MISSING'), 'the missing blob reported')
    await ws.stop()
    await h.blobs.put(bytes)
    ws = await h.start()
    await until(async () => (await fs.readFile(h!.disk('late.bin')).catch(() => undefined))?.equals(Buffer.from(bytes)) === true, 'the blob written on restart')
    await settle(ws)
    // The first pass read the project; the next one, with every entry recorded, works from the records.
    const reads = ws.stats.projectReads
    expect(reads).toBeGreaterThan(0)
    await ws.stop()
    ws = await h.start()
    await settle(ws)
    expect(ws.stats.projectReads).toBe(0)
  }, 60_000)

  it('[W41] a record dropped without a project change is not trusted: a file deleted on disk while a member edited it (both while stopped) comes back (W16)', async () => {
    const p = await syncedProject()
    h = p.h
    await fs.rm(h.disk('notes/a.txt'))
    p.text.handle.change((d) => spliceText(d, 0, 0, 'kept: '))
    const ws = await h.start()
    await until(async () => (await readDiskText(h!.disk('notes/a.txt'))) === 'kept: one\ntwo\n', 'the edited file back on disk')
    await settle(ws)
    expect(h.entryAt('notes/a.txt')?.id).toBe(p.text.id)
    expect(ws.stats.echoWrites).toBe(0)
  }, 60_000)

  it('[W41] a file changed on disk while stopped is read on restart and its edit reaches the member; the next restart works from the records again', async () => {
    const p = await syncedProject()
    h = p.h
    await fs.writeFile(h.disk('notes/a.txt'), 'one\ntwo\nthree\n')
    let ws = await h.start()
    await until(async () => (await h!.textAt('notes/a.txt')) === 'one\ntwo\nthree\n', 'the disk edit in the member\'s document')
    await settle(ws)
    expect(ws.stats.filesRead).toBeGreaterThan(0)
    await ws.stop()
    ws = await h.start()
    await settle(ws)
    expect(ws.stats.projectReads).toBe(0)
    expect(ws.stats.filesRead).toBe(0)
  }, 60_000)
})
