import { afterEach, describe, expect, it } from 'vitest'
import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import type { AutomergeUrl } from '@automerge/automerge-repo'
import { editSource, readNotebook, setText, spliceText, type NotebookDoc } from '@quire/crdt'
import { readDiskText, settle, until, workspaceHarness, type WorkspaceHarness } from './harness.js'

let h: WorkspaceHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

async function notebookAt(path: string): Promise<ReturnType<typeof readNotebook> | undefined> {
  const entry = h!.entryAt(path)
  if (entry?.kind !== 'notebook') return undefined
  return readNotebook((await h!.member.find<NotebookDoc>(entry.url as AutomergeUrl)).doc())
}

describe('workspace: disk to documents', () => {
  it('[W4] a new file becomes an entry: UTF-8 text a text document, a .ipynb a notebook, anything else a blob, an empty directory a folder', async () => {
    h = await workspaceHarness()
    const ws = await h.start()
    await fs.writeFile(h.disk('notes.md'), '# Notes\n')
    await fs.writeFile(h.disk('data.bin'), new Uint8Array([0, 1, 2, 3]))
    await fs.mkdir(h.disk('sub/empty'), { recursive: true })
    const ipynb = { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ id: 'c1', cell_type: 'code', source: 'x = 1', metadata: {}, outputs: [], execution_count: null }] }
    await fs.writeFile(h.disk('made.ipynb'), JSON.stringify(ipynb))
    await until(async () => (await h!.textAt('notes.md')) === '# Notes\n' && h!.entryAt('data.bin') !== undefined && h!.entryAt('made.ipynb') !== undefined && h!.entryAt('sub/empty') !== undefined, 'four new entries')
    const blob = h.entryAt('data.bin')!
    expect(blob.kind).toBe('blob')
    if (blob.kind === 'blob') expect(await h.blobs.get(blob.sha256)).toEqual(new Uint8Array([0, 1, 2, 3]))
    expect(h.entryAt('sub/empty')!.kind).toBe('folder')
    expect(h.entryAt('notes.md')!.createdBy).toBe('12D3KooWComputePeerIdForTests')
    await until(async () => (await notebookAt('made.ipynb'))?.cells[0]?.id === 'c1', 'the notebook document')
    await settle(ws)
    expect(ws.stats.echoWrites).toBe(0)
  })

  it('[W5] an edited text file becomes a character diff; an edited notebook changes per cell, keeping cell ids', async () => {
    h = await workspaceHarness()
    const text = h.addText('a.py', 'line 1\nline 2\n')
    const nb = h.addNotebook('n.ipynb', ['a = 1', 'b = 2'])
    const ws = await h.start()
    await fs.writeFile(h.disk('a.py'), 'line 1\nline 2 changed\n')
    await until(async () => (await h!.textAt('a.py')) === 'line 1\nline 2 changed\n', 'the text edit')
    const file = JSON.parse((await readDiskText(h.disk('n.ipynb')))!)
    file.cells[1].source = ['b = 3\n', 'print(b)']
    file.cells[1].outputs = [{ output_type: 'stream', name: 'stdout', text: ['3\n'] }]
    file.cells.unshift({ id: 'new-cell', cell_type: 'markdown', metadata: {}, source: ['# Title'] })
    await fs.writeFile(h.disk('n.ipynb'), JSON.stringify(file, null, 1))
    await until(async () => (await notebookAt('n.ipynb'))?.cells.length === 3, 'the notebook edit')
    const read = (await notebookAt('n.ipynb'))!
    expect(read.cells.map((c) => c.id)).toEqual(['new-cell', 'cell-0', 'cell-1'])
    const cell = read.cells[2]!
    expect(cell.cellType === 'code' && cell.source).toBe('b = 3\nprint(b)')
    expect(cell.cellType === 'code' && cell.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '3\n' }])
    // Minimal changes: the text document's history has one change from disk, not a replacement of everything.
    const changes = (await h.member.find(text.handle.url)).history()?.length ?? 0
    expect(changes).toBe(2)
    void nb
    await settle(ws)
    expect(ws.stats.echoWrites).toBe(0)
  })

  it('[W6] a rename on disk renames the entry (same id, history kept); a deleted file deletes its entry', async () => {
    h = await workspaceHarness()
    const a = h.addText('a.txt', 'keep my history')
    const b = h.addText('b.txt', 'doomed')
    const ws = await h.start()
    await fs.mkdir(h.disk('sub'))
    await fs.rename(h.disk('a.txt'), h.disk('sub/renamed.txt'))
    await fs.rm(h.disk('b.txt'))
    await until(() => h!.entryAt('sub/renamed.txt') !== undefined && h!.entryAt('b.txt') === undefined, 'rename and delete')
    expect(h.entryAt('sub/renamed.txt')!.id).toBe(a.id)
    expect(h.files().some((f) => f.id === b.id)).toBe(false)
    expect(h.files().filter((f) => f.kind !== 'folder')).toHaveLength(1)
    await settle(ws)
    expect(ws.stats.echoWrites).toBe(0)
  })

  it('[W7] an editor saving by temporary file and rename is one edit, never a delete and a create', async () => {
    h = await workspaceHarness()
    const a = h.addText('doc.tex', 'Hello world\n')
    const ws = await h.start()
    await fs.writeFile(h.disk('.doc.tex.swp'), 'Hello brave world\n')
    await fs.rename(h.disk('.doc.tex.swp'), h.disk('doc.tex'))
    await until(async () => (await h!.textAt('doc.tex')) === 'Hello brave world\n', 'the saved edit')
    await settle(ws)
    expect(h.entryAt('doc.tex')!.id).toBe(a.id)
    expect(h.files()).toHaveLength(1)
  })

  it('[W8] a touch, or a write of the same bytes, changes nothing', async () => {
    h = await workspaceHarness()
    const a = h.addText('same.txt', 'unchanged')
    const ws = await h.start()
    const heads = a.handle.heads()
    const project = h.project.heads()
    const now = new Date()
    await fs.utimes(h.disk('same.txt'), now, now)
    await fs.writeFile(h.disk('same.txt'), 'unchanged')
    await settle(ws, 500)
    expect(ws.stats.unchangedReads).toBeGreaterThan(0)
    expect(ws.stats.changesFromDisk).toBe(0)
    expect(a.handle.heads()).toEqual(heads)
    expect(h.project.heads()).toEqual(project)
  })

  it('[W9] a file written in several steps is read once it is complete', async () => {
    h = await workspaceHarness()
    const ws = await h.start()
    const handle = await fs.open(h.disk('out.csv'), 'w')
    for (let i = 0; i < 5; i++) {
      await handle.write(`row ${i}\n`)
      await new Promise((r) => setTimeout(r, 10))
    }
    await handle.close()
    await until(async () => (await h!.textAt('out.csv')) === 'row 0\nrow 1\nrow 2\nrow 3\nrow 4\n', 'the whole file')
    await settle(ws)
    // Read once: one entry created, no partial versions written in between.
    expect(ws.stats.changesFromDisk).toBe(1)
  })

  it('[W10] .git/, default caches and .quireignore patterns stay on disk only', async () => {
    h = await workspaceHarness()
    const ws = await h.start()
    await fs.mkdir(h.disk('.git/objects'), { recursive: true })
    await fs.writeFile(h.disk('.git/objects/x'), 'git data')
    await fs.mkdir(h.disk('__pycache__'))
    await fs.writeFile(h.disk('__pycache__/m.cpython-311.pyc'), new Uint8Array([1, 0]))
    await fs.writeFile(h.disk('m.pyc'), new Uint8Array([1, 0]))
    await fs.writeFile(h.disk('.quireignore'), 'build/\n*.log\n/sub/gen/\n')
    await settle(ws, 300)
    await fs.mkdir(h.disk('build'))
    await fs.writeFile(h.disk('build/a.o'), 'obj')
    await fs.writeFile(h.disk('run.log'), 'log')
    await fs.writeFile(h.disk('paper.aux'), 'latex aux is shared')
    // A folder moved in whole is walked with paths from the workspace root, so anchored patterns hold in it.
    const outside = join(h.dir, '..', 'outside')
    await fs.mkdir(join(outside, 'sub', 'gen'), { recursive: true })
    await fs.writeFile(join(outside, 'sub', 'gen', 'x.txt'), 'generated')
    await fs.writeFile(join(outside, 'sub', 'keep.txt'), 'kept')
    await fs.rename(join(outside, 'sub'), h.disk('sub'))
    await until(() => h!.entryAt('paper.aux') !== undefined && h!.entryAt('sub/keep.txt') !== undefined, 'the aux file and the moved folder')
    await settle(ws)
    expect(h.files().map((f) => f.path).sort()).toEqual(['.quireignore', 'paper.aux', 'sub/keep.txt'])
    expect(await readDiskText(join(h.dir, '.git/objects/x'))).toBe('git data')
  })

  it('[W11] a member\'s edit and a concurrent disk edit of one text file both survive', async () => {
    h = await workspaceHarness()
    const a = h.addText('shared.txt', 'alpha\nbeta\ngamma\n')
    const ws = await h.start()
    // The member edits the start while a program rewrites the end from the version on disk.
    a.handle.change((d) => spliceText(d, 0, 0, 'MEMBER '))
    await fs.writeFile(h.disk('shared.txt'), 'alpha\nbeta\ngamma DISK\n')
    const merged = 'MEMBER alpha\nbeta\ngamma DISK\n'
    await until(async () => (await h!.textAt('shared.txt')) === merged && (await readDiskText(h!.disk('shared.txt'))) === merged, 'both edits on both sides')
    await settle(ws)
    expect(await readDiskText(h.disk('shared.txt'))).toBe(merged)
    a.handle.change((d) => setText(d, 'reset\n'))
    await until(async () => (await readDiskText(h!.disk('shared.txt'))) === 'reset\n', 'a later edit on disk')
    await settle(ws)
    expect(ws.stats.echoWrites).toBe(0)
  })
})

describe('workspace: renames with edits', () => {
  it('[W6] a file moved and appended to in one batch is a rename of its entry, then an edit', async () => {
    h = await workspaceHarness()
    const a = h.addText('log.txt', 'line one\nline two\n')
    h.addText('other.txt', 'unrelated content\n')
    const ws = await h.start()
    await fs.rename(h.disk('log.txt'), h.disk('log-old.txt'))
    await fs.appendFile(h.disk('log-old.txt'), 'line three\n')
    await fs.writeFile(h.disk('fresh.txt'), 'something else entirely\n')
    await until(async () => (await h!.textAt('log-old.txt')) === 'line one\nline two\nline three\n' && h!.entryAt('fresh.txt') !== undefined, 'the rename and the new file')
    await settle(ws)
    expect(h.entryAt('log-old.txt')!.id).toBe(a.id)
    expect(h.files().map((f) => f.path).sort()).toEqual(['fresh.txt', 'log-old.txt', 'other.txt'])
  })
})

describe('workspace: notebooks edited on both sides', () => {
  it('[W18] a notebook saved on disk with new outputs and a member\'s concurrent source edit of another cell both survive', async () => {
    h = await workspaceHarness()
    const nb = h.addNotebook('n.ipynb', ['print(1)', 'x = 2'])
    const ws = await h.start()
    const file = JSON.parse((await readDiskText(h.disk('n.ipynb')))!)
    nb.handle.change((d) => editSource(d, 'cell-1', 0, 0, '# member\n'))
    file.cells[0].outputs = [{ output_type: 'stream', name: 'stdout', text: ['1\n'] }]
    file.cells[0].execution_count = 1
    await fs.writeFile(h.disk('n.ipynb'), JSON.stringify(file, null, 1))
    const done = async (): Promise<boolean> => {
      const read = await notebookAt('n.ipynb')
      const [first, second] = read?.cells ?? []
      return first?.cellType === 'code' && first.outputs.length === 1 && first.executionCount === 1 && second?.cellType === 'code' && second.source === '# member\nx = 2'
    }
    await until(done, 'the outputs from disk and the member\'s edit')
    await until(async () => {
      const onDisk = JSON.parse((await readDiskText(h!.disk('n.ipynb'))) ?? '{}')
      return onDisk.cells?.[1]?.source?.join('') === '# member\nx = 2' && onDisk.cells?.[0]?.outputs?.length === 1
    }, 'the merged notebook on disk')
    await settle(ws)
    expect(await done()).toBe(true)
    expect(ws.stats.echoWrites).toBe(0)
  })
})
