import { describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import { Repo, type AutomergeUrl, type DocHandle } from '@automerge/automerge-repo'
import { addFile, appendOutput, createNotebook, type ProjectDoc, createProject, insertCell, readNotebook, readProject, readText, type FileEntry } from '@quire/crdt'
import { strFromU8, unzipSync } from 'fflate'
import { createFile, createFolder, deleteFolder, moveFile, moveFolder, projectFiles, uploadFiles, type FileContext } from '../../src/lib/files/file-ops.js'
import { fileBytes, projectZip } from '../../src/lib/files/project-export.js'
import { textContentOf } from '../../src/lib/files/file-kinds.js'
import { MemoryBlobs } from './helpers/memory-blobs.js'

const self = { peerId: '12D3KooWAlice' }
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

function setup(): FileContext & { blobs: MemoryBlobs } {
  const repo = new Repo()
  const project = repo.import<unknown>(A.save(createProject({ name: 'Thesis', owner: self.peerId }) as A.Doc<unknown>))
  return { repo, project, blobs: new MemoryBlobs(), self }
}

function entry(project: DocHandle<unknown>, path: string): FileEntry {
  const found = projectFiles(project).find((e) => e.displayPath === path)
  expect(found, path).toBeDefined()
  return found!
}

async function contentOf(ctx: FileContext, path: string): Promise<string> {
  const e = entry(ctx.project, path)
  if (e.kind !== 'text') throw new Error(`${path} is ${e.kind}`)
  const read = readText((await ctx.repo.find<unknown>(e.url as AutomergeUrl)).doc())
  if (!read.ok) throw read.error
  return read.value.content
}

describe('file operations', () => {
  it('creates text files, notebooks and folders, moves and deletes them', async () => {
    const ctx = setup()
    await createFile(ctx, 'notes.md')
    await createFile(ctx, 'analysis.ipynb')
    createFolder(ctx, 'chapters')
    expect(entry(ctx.project, 'notes.md').kind).toBe('text')
    const nb = entry(ctx.project, 'analysis.ipynb')
    expect(nb.kind).toBe('notebook')
    const created = readNotebook((await ctx.repo.find<unknown>((nb as { url: string }).url as AutomergeUrl)).doc())
    expect(created.cells).toEqual([])
    // A new notebook names a kernel (issue 18 item 4), so its .ipynb opens in Jupyter without asking for one.
    expect(created.kernelspec).toMatchObject({ name: 'python3', language: 'python' })
    await expect(createFile(ctx, 'notes.md')).rejects.toMatchObject({ code: 'FILE_EXISTS' })
    await expect(createFile(ctx, '../evil')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })

    moveFile(ctx, entry(ctx.project, 'notes.md').id, 'chapters/intro.md')
    moveFolder(ctx, 'chapters', 'parts')
    expect(projectFiles(ctx.project).map((e) => e.displayPath)).toEqual(['analysis.ipynb', 'parts', 'parts/intro.md'])
    deleteFolder(ctx, 'parts')
    expect(projectFiles(ctx.project).map((e) => e.displayPath)).toEqual(['analysis.ipynb'])
  })

  it('uploads text as text documents and binary files as blobs, replacing same-kind files in place', async () => {
    const ctx = setup()
    const first = await uploadFiles(ctx, 'data', [
      { path: 'a.csv', bytes: text('x,y\n1,2\n'), type: 'text/csv' },
      { path: 'plot.png', bytes: PNG, type: 'image/png' },
      { path: 'raw/blob.bin', bytes: new Uint8Array([1, 0, 2]) },
    ])
    expect(first.map((r) => [r.path, r.stored, r.replaced])).toEqual([
      ['data/a.csv', 'text', false],
      ['data/plot.png', 'blob', false],
      ['data/raw/blob.bin', 'blob', false],
    ])
    expect(await contentOf(ctx, 'data/a.csv')).toBe('x,y\n1,2\n')
    const png = entry(ctx.project, 'data/plot.png')
    expect(png).toMatchObject({ kind: 'blob', size: PNG.length, mime: 'image/png' })
    expect(await ctx.blobs.get((png as { sha256: string }).sha256)).toEqual(PNG)

    const again = await uploadFiles(ctx, 'data', [
      { path: 'a.csv', bytes: text('x,y\n1,2\n3,4\n') },
      { path: 'plot.png', bytes: new Uint8Array([...PNG, 1]), type: 'image/png' },
    ])
    expect(again.map((r) => r.replaced)).toEqual([true, true])
    expect(await contentOf(ctx, 'data/a.csv')).toBe('x,y\n1,2\n3,4\n')
    expect(entry(ctx.project, 'data/plot.png')).toMatchObject({ id: png.id, size: PNG.length + 1 })
    await expect(uploadFiles(ctx, 'data', [{ path: 'a.csv', bytes: PNG, type: 'image/png' }])).rejects.toMatchObject({ code: 'FILE_EXISTS' })
  })

  it('imports an uploaded .ipynb as a notebook, and keeps an invalid one as text', async () => {
    const ctx = setup()
    const ipynb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [{ id: 'c1', cell_type: 'code', metadata: {}, source: ['print(1)'], outputs: [], execution_count: null }],
    }
    const results = await uploadFiles(ctx, '', [
      { path: 'good.ipynb', bytes: text(JSON.stringify(ipynb)) },
      { path: 'bad.ipynb', bytes: text('{ not json') },
    ])
    expect(results.map((r) => r.stored)).toEqual(['notebook', 'text'])
    // The user is told the notebook was not one, and why (issue: it was stored silently as text).
    expect(results[0]!.problem).toBeUndefined()
    expect(results[1]!.problem).toMatch(/^bad\.ipynb is not a valid notebook \(.+\); it was kept as a text file/)
  })

  it('tells text from binary', () => {
    expect(textContentOf(text('héllo'), 'text/plain')).toBe('héllo')
    expect(textContentOf(new Uint8Array([0xff, 0xfe, 0x41]), 'text/plain')).toBeUndefined()
    expect(textContentOf(new Uint8Array([0x41, 0, 0x42]), 'application/octet-stream')).toBeUndefined()
    expect(textContentOf(text('<svg/>'), 'image/svg+xml')).toBe('<svg/>')
    expect(textContentOf(text('GIF89a'), 'image/gif')).toBeUndefined()
  })
})

describe('project export', () => {
  it('zips the whole project: text, blobs, notebooks with inlined output blobs, empty folders', async () => {
    const ctx = setup()
    await uploadFiles(ctx, '', [
      { path: 'README.md', bytes: text('# Thesis\n') },
      { path: 'fig/plot.png', bytes: PNG, type: 'image/png' },
    ])
    createFolder(ctx, 'empty')
    // A notebook whose output image is stored as a blob.
    const imageHash = await ctx.blobs.put(PNG)
    let nb = createNotebook()
    nb = A.change(nb, (d) => {
      const id = insertCell(d, 0, { cellType: 'code', source: 'plot()' })
      appendOutput(d, id, { output_type: 'display_data', data: { 'image/png': { blob: imageHash, size: PNG.length, mime: 'image/png' } }, metadata: {} })
    })
    const nbHandle = ctx.repo.import<unknown>(A.save(nb))
    ctx.project.change((d) => {
      addFile(d as unknown as ProjectDoc, { path: 'run.ipynb', kind: 'notebook', url: nbHandle.url })
    })

    const read = readProject(ctx.project.doc())
    if (!read.ok) throw read.error
    const { zip, problems } = await projectZip(ctx, read.value.files)
    expect(problems).toEqual([])
    const files = unzipSync(zip)
    expect(Object.keys(files).sort()).toEqual(['README.md', 'empty/', 'fig/plot.png', 'run.ipynb'])
    expect(strFromU8(files['README.md']!)).toBe('# Thesis\n')
    expect(files['fig/plot.png']).toEqual(PNG)
    const exported = JSON.parse(strFromU8(files['run.ipynb']!)) as { cells: Array<{ outputs: Array<{ data: Record<string, string> }> }> }
    expect(exported.cells[0]!.outputs[0]!.data['image/png']).toBe(btoa(String.fromCharCode(...PNG)))
  })

  it('leaves out and reports files whose blobs are unavailable', async () => {
    const ctx = setup()
    await uploadFiles(ctx, '', [{ path: 'a.png', bytes: PNG, type: 'image/png' }, { path: 'b.txt', bytes: text('b') }])
    ctx.blobs.blobs.clear()
    const read = readProject(ctx.project.doc())
    if (!read.ok) throw read.error
    const { zip, problems } = await projectZip(ctx, read.value.files)
    expect(problems.map((p) => p.path)).toEqual(['a.png'])
    const files = unzipSync(zip)
    expect(Object.keys(files).sort()).toEqual(['QUIRE-MISSING.txt', 'b.txt'])
    expect(strFromU8(files['QUIRE-MISSING.txt']!)).toMatch(/^a\.png: /)
    await expect(fileBytes(ctx, entry(ctx.project, 'a.png'))).rejects.toThrow()
  })
})
