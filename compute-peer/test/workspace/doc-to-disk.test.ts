import { afterEach, describe, expect, it } from 'vitest'
import { promises as fs } from 'node:fs'
import { next as A } from '@automerge/automerge'
import { addFile, appendOutput, deleteFile, renameFile, setText, type ProjectDoc } from '@quire/crdt'
import { readDiskText, settle, until, workspaceHarness, type WorkspaceHarness } from './harness.js'

let h: WorkspaceHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

describe('workspace: documents to disk', () => {
  it('[W1] writes text files as UTF-8, notebooks as nbformat 4.5 with outputs, blobs as their bytes, folders as folders', async () => {
    h = await workspaceHarness()
    h.addText('src/main.py', 'print("héllo")\n')
    const nb = h.addNotebook('analysis.ipynb', ['1 + 1'])
    nb.handle.change((d) => appendOutput(d, 'cell-0', { output_type: 'execute_result', data: { 'text/plain': '2' }, metadata: {}, execution_count: 1 }))
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255])
    const sha256 = await h.blobs.put(png)
    h.project.change((d: ProjectDoc) => {
      addFile(d, { path: 'img/plot.png', kind: 'blob', sha256, size: png.length, mime: 'image/png' })
      addFile(d, { path: 'empty', kind: 'folder' })
    })
    const ws = await h.start()
    expect(await readDiskText(h.disk('src/main.py'))).toBe('print("héllo")\n')
    const ipynb = JSON.parse((await readDiskText(h.disk('analysis.ipynb')))!)
    expect(ipynb.nbformat).toBe(4)
    expect(ipynb.nbformat_minor).toBe(5)
    expect(ipynb.cells[0].id).toBe('cell-0')
    expect(ipynb.cells[0].outputs[0].data['text/plain']).toEqual(['2'])
    expect(new Uint8Array(await fs.readFile(h.disk('img/plot.png')))).toEqual(png)
    expect((await fs.stat(h.disk('empty'))).isDirectory()).toBe(true)
    await settle(ws)
    expect(ws.status.state).toBe('idle')
    expect(ws.stats.echoWrites).toBe(0)
  })

  it('[W2] a document change rewrites only the files whose content changed, atomically, with no echo', async () => {
    h = await workspaceHarness()
    const a = h.addText('a.txt', 'one')
    h.addText('b.txt', 'two')
    const ws = await h.start()
    const written = ws.stats.filesWritten
    const bBefore = await fs.stat(h.disk('b.txt'))
    a.handle.change((d) => setText(d, 'one, edited'))
    await until(async () => (await readDiskText(h!.disk('a.txt'))) === 'one, edited', 'the edit on disk')
    await settle(ws)
    expect(ws.stats.filesWritten).toBe(written + 1)
    expect((await fs.stat(h.disk('b.txt'))).ino).toBe(bBefore.ino)
    // No temporary file is left behind and our own write is not read back as a change.
    expect((await fs.readdir(h.dir)).sort()).toEqual(['.quire-tmp', 'a.txt', 'b.txt'])
    expect(await fs.readdir(h.disk('.quire-tmp'))).toEqual([])
    expect(ws.stats.changesFromDisk).toBe(0)
    expect(ws.stats.echoWrites).toBe(0)
  })

  it('[W3] a renamed entry moves its file, a deleted entry removes it, a conflict entry is written at its display path', async () => {
    h = await workspaceHarness()
    const a = h.addText('dir/a.txt', 'A')
    const b = h.addText('b.txt', 'B')
    const ws = await h.start()
    h.project.change((d: ProjectDoc) => renameFile(d, a.id, 'moved/a.txt'))
    h.project.change((d: ProjectDoc) => deleteFile(d, b.id))
    await until(async () => (await readDiskText(h!.disk('moved/a.txt'))) === 'A' && (await readDiskText(h!.disk('b.txt'))) === undefined, 'move and delete on disk')
    await settle(ws)
    await expect(fs.stat(h.disk('dir'))).rejects.toThrow() // the emptied folder went with the move
    expect(ws.stats.filesMoved).toBe(1)
    expect(ws.stats.changesFromDisk).toBe(0)
    // Two entries at one path (made concurrently by two peers): the later one has a conflict name on disk too.
    const other = A.clone(h.project.doc())
    const text2 = h.member.import(A.save(A.from({ type: 'quire/text', schemaVersion: 1, content: 'second' })))
    const text1 = h.member.import(A.save(A.from({ type: 'quire/text', schemaVersion: 1, content: 'first' })))
    const theirs = A.change(other, (d: ProjectDoc) => { addFile(d, { id: 'zzzzzzzzzz', path: 'same.txt', kind: 'text', url: text2.url, createdAt: 20 }) })
    h.project.change((d: ProjectDoc) => { addFile(d, { id: 'aaaaaaaaaa', path: 'same.txt', kind: 'text', url: text1.url, createdAt: 10 }) })
    h.project.update((d) => A.merge(d, theirs))
    await until(async () => (await readDiskText(h!.disk('same (conflict zzzzzzzz).txt'))) === 'second', 'the conflict copy')
    await until(async () => (await readDiskText(h!.disk('same.txt'))) === 'first', 'the first file at its path')
    await settle(h.workspace)
    expect(h.files().filter((f) => f.path === 'same.txt')).toHaveLength(2)
    expect(h.workspace.stats.changesFromDisk).toBe(0)
  })
})
