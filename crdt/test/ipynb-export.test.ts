import * as A from '@automerge/automerge'
import { Repo } from '@automerge/automerge-repo'
import {
  appendOutput,
  createNotebook,
  exportIpynb,
  importIpynb,
  insertCell,
  readNotebook,
  setExecutionCount,
  setExecutionState,
  type NotebookDoc,
} from '../src/index.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fixtures, normalizeIpynb, schemaErrors } from './fixtures/ipynb/ipynb-check.js'

const HASH = 'ab'.repeat(32)
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

describe('ipynb export', () => {
  it.each(fixtures())('[I4][I7] $name: export validates against the nbformat 4.5 schema and round-trips', ({ text }) => {
    const exported = exportIpynb(importIpynb(text))
    expect(schemaErrors(exported)).toEqual([])
    expect(exported).toMatchObject({ nbformat: 4, nbformat_minor: 5 })
    const original = JSON.parse(text) as { cells: { id?: string }[] }
    const ids = exported.cells.map((c) => c.id)
    // Ids the file had are kept; the others were generated.
    original.cells.forEach((cell, i) => {
      if (cell.id !== undefined) expect(ids[i]).toBe(cell.id)
    })
    expect(normalizeIpynb(exported)).toEqual(normalizeIpynb(original, ids))
  })

  it.each(fixtures())('[I7] $name: export, import, export again gives the same file', ({ text }) => {
    const once = exportIpynb(importIpynb(text))
    const twice = exportIpynb(importIpynb(JSON.stringify(once, null, 1)))
    expect(twice).toEqual(once)
  })

  it('[I7] multi-line strings are written as lists of lines that join back exactly; base64 as one string', () => {
    let doc = createNotebook()
    doc = A.change(doc, (d) => {
      const id = insertCell(d, 0, { cellType: 'code', source: 'a\nb\n\nc' })
      appendOutput(d, id, { output_type: 'stream', name: 'stdout', text: 'x\ny\n' })
      appendOutput(d, id, { output_type: 'display_data', data: { 'image/png': PNG, 'text/plain': 'line 1\nline 2' }, metadata: {} })
      insertCell(d, 1, { cellType: 'markdown', source: '' })
    })
    const [cell, md] = exportIpynb(doc).cells
    expect(cell).toMatchObject({
      source: ['a\n', 'b\n', '\n', 'c'],
      outputs: [{ text: ['x\n', 'y\n'] }, { data: { 'image/png': PNG, 'text/plain': ['line 1\n', 'line 2'] } }],
    })
    expect(md).toEqual({ id: md!.id, cell_type: 'markdown', metadata: {}, source: [] })
  })

  it('[I4] a notebook built with the operations exports valid nbformat, execution state left out', () => {
    let doc = createNotebook({ kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } })
    doc = A.change(doc, (d) => {
      const id = insertCell(d, 0, { cellType: 'code', source: '1/0', id: 'cell-1' })
      setExecutionCount(d, id, 4)
      setExecutionState(d, id, { status: 'error', requestedBy: 'peerA', requestedAt: 1, startedAt: 2, finishedAt: 3 })
      appendOutput(d, id, { output_type: 'error', ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['tb'] })
      appendOutput(d, id, { output_type: 'execute_result', data: { 'application/json': { a: [1] } }, metadata: {}, execution_count: 4 })
      insertCell(d, 1, { cellType: 'raw', source: 'raw' })
    })
    const exported = exportIpynb(doc)
    expect(schemaErrors(exported)).toEqual([])
    expect(exported.metadata).toEqual({
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' },
    })
    expect(exported.cells[0]).toEqual({
      id: 'cell-1',
      cell_type: 'code',
      metadata: {},
      source: ['1/0'],
      execution_count: 4,
      outputs: [
        { output_type: 'error', ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['tb'] },
        { output_type: 'execute_result', data: { 'application/json': { a: [1] } }, metadata: {}, execution_count: 4 },
      ],
    })
  })

  describe('blob references', () => {
    const withBlobs = (): NotebookDoc =>
      A.change(createNotebook(), (d) => {
        const id = insertCell(d, 0, { cellType: 'code', id: 'plot' })
        appendOutput(d, id, {
          output_type: 'display_data',
          data: { 'image/png': { blob: HASH, size: 70, mime: 'image/png' }, 'text/plain': '<Figure>' },
          metadata: {},
        })
        appendOutput(d, id, { output_type: 'display_data', data: { 'application/vnd.big+json': { blob: HASH, size: 9, mime: 'application/vnd.big+json' } }, metadata: {} })
        const md = insertCell(d, 1, { cellType: 'markdown', source: '![x](attachment:x.png)', id: 'md' })
        const cell = d.cells[md] as unknown as { attachments: Record<string, unknown> }
        cell.attachments['x.png'] = { 'image/png': { blob: new A.ImmutableString(HASH), size: 70, mime: new A.ImmutableString('image/png') } }
      })

    it('[N20] a blob reference reads back as a blob reference', () => {
      const [cell, md] = readNotebook(withBlobs()).cells
      expect(cell).toMatchObject({ outputs: [{ data: { 'image/png': { blob: HASH, size: 70, mime: 'image/png' } } }, {}] })
      expect(md).toMatchObject({ attachments: { 'x.png': { 'image/png': { blob: HASH, size: 70, mime: 'image/png' } } } })
    })

    it('[I5] resolveBlob inlines blob content: base64 for images, parsed JSON for JSON types', () => {
      const seen: string[] = []
      const exported = exportIpynb(withBlobs(), {
        resolveBlob: (hash) => {
          seen.push(hash)
          return seen.length === 2 ? '{"big": true}' : PNG
        },
      })
      expect(schemaErrors(exported)).toEqual([])
      expect(seen).toEqual([HASH, HASH, HASH])
      const [cell, md] = exported.cells as unknown as [{ outputs: unknown[] }, { attachments: unknown }]
      expect(cell.outputs).toEqual([
        { output_type: 'display_data', data: { 'image/png': PNG, 'text/plain': ['<Figure>'] }, metadata: {} },
        { output_type: 'display_data', data: { 'application/vnd.big+json': { big: true } }, metadata: {} },
      ])
      expect(md.attachments).toEqual({ 'x.png': { 'image/png': PNG } })
    })

    it('[I5] without a resolver a blob becomes a placeholder, the export stays valid and says where the data was', () => {
      const exported = exportIpynb(withBlobs())
      expect(schemaErrors(exported)).toEqual([])
      const [cell, md] = exported.cells as unknown as [{ outputs: { data: Record<string, unknown>; metadata: Record<string, unknown> }[] }, { attachments: Record<string, Record<string, unknown>> }]
      // An existing text/plain stays; the image is left out rather than written as broken base64.
      expect(cell.outputs[0]!.data).toEqual({ 'text/plain': ['<Figure>'] })
      expect(cell.outputs[0]!.metadata).toEqual({ quire: { missing_blobs: [{ key: 'image/png', blob: HASH, size: 70, mime: 'image/png' }] } })
      expect((cell.outputs[1]!.data['text/plain'] as string[]).join('')).toMatch(/application\/vnd\.big\+json data \(9 bytes, blob sha256:abab.*not available/)
      expect(md.attachments['x.png']!['text/plain']).toEqual([expect.stringContaining(`sha256:${HASH}`)])
    })

    it('[I5] a resolver that throws or returns junk JSON is treated as missing', () => {
      const exported = exportIpynb(withBlobs(), {
        resolveBlob: () => {
          throw new Error('offline')
        },
      })
      expect(schemaErrors(exported)).toEqual([])
      const bad = exportIpynb(withBlobs(), { resolveBlob: () => 'not json {' })
      expect(schemaErrors(bad)).toEqual([])
      expect(bad.cells[0]).toMatchObject({ outputs: [{ data: { 'image/png': 'not json {' } }, { metadata: { quire: {} } }] })
    })
  })

  it('[I6] broken cells and outputs are left out and schema-breaking metadata is dropped, so junk still exports valid', () => {
    let doc = importIpynb(JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [] }))
    doc = A.change(doc, (d) => {
      const id = insertCell(d, 0, { cellType: 'code', id: 'ok' })
      const raw = d as unknown as Record<string, Record<string, unknown>>
      raw['cells']!['bad'] = 42 as never
      raw['cells']!['has space'] = { cellType: 'markdown', source: 'x' } as never
      const cell = raw['cells']![id] as Record<string, unknown>
      ;(cell['outputs'] as unknown[]).push({ output_type: 'nonsense' }, 'junk')
      cell['metadata'] = { name: 'two\nlines', tags: ['a', 'a', 'b,c', 3], collapsed: 'yes', scrolled: 2, execution: { t: 1 }, jupyter: [], keep: { me: 1 } }
      raw['metadata'] = { kernelspec: { name: 'k' }, language_info: { name: 'py', mimetype: 5 }, title: 1, orig_nbformat: 0, authors: 'me' }
    })
    const exported = exportIpynb(doc)
    expect(schemaErrors(exported)).toEqual([])
    expect(exported.cells).toHaveLength(1)
    expect(exported.cells[0]).toMatchObject({ id: 'ok', outputs: [], metadata: { tags: ['a'], keep: { me: 1 } } })
    expect(Object.keys(exported.cells[0]!.metadata).sort()).toEqual(['keep', 'tags'])
    expect(exported.metadata).toEqual({ language_info: { name: 'py' } })
  })

  it('[I4][N16] any JSON value exports as a schema-valid notebook (random values, fixed seed)', () => {
    const cellish = fc.oneof(
      fc.jsonValue(),
      fc.record({ cellType: fc.constantFrom('code', 'markdown', 'raw', 'x'), source: fc.oneof(fc.string(), fc.jsonValue()), metadata: fc.jsonValue(), outputs: fc.jsonValue(), attachments: fc.jsonValue(), executionCount: fc.jsonValue() }, { requiredKeys: [] }),
    )
    const docish = fc.record({
      type: fc.constant('quire/notebook'),
      metadata: fc.jsonValue(),
      cellOrder: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
      cells: fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom('a', 'b-1', 'c_2'), fc.string()), cellish), fc.jsonValue()),
    }, { requiredKeys: [] })
    fc.assert(
      fc.property(fc.oneof(docish, fc.jsonValue()), (value) => {
        expect(schemaErrors(exportIpynb(value))).toEqual([])
      }),
      { seed: 20261123, numRuns: process.env.QUIRE_LONG === '1' ? 3000 : 300 },
    )
  })

  it('[I1][N1] an imported notebook survives save/load and a Repo (repo.create copies it; handle.change runs the operations)', async () => {
    const { text } = fixtures()[0]!
    const doc = importIpynb(text)
    const expected = exportIpynb(doc)
    expect(exportIpynb(A.load(A.save(doc)))).toEqual(expected)
    const repo = new Repo({})
    try {
      const handle = repo.create(doc)
      expect(exportIpynb(handle.doc())).toEqual(expected)
      handle.change((d) => void insertCell(d, 0, { cellType: 'markdown', source: 'via handle', id: 'h' }))
      expect(exportIpynb(handle.doc()).cells[0]).toEqual({ id: 'h', cell_type: 'markdown', metadata: {}, source: ['via handle'] })
    } finally {
      await repo.shutdown()
    }
  })
})
