import * as A from '@automerge/automerge'
import { CrdtError, importIpynb, isCellId, readNotebook, type CodeCellRead, type TextCellRead } from '../src/index.js'
import { describe, expect, it } from 'vitest'
import { fixtures } from './fixtures/ipynb/ipynb-check.js'

const fixture = (name: string): string => {
  const found = fixtures().find((f) => f.name === name)
  if (!found) throw new Error(`no fixture ${name}`)
  return found.text
}

function expectInvalid(text: string, ...fragments: RegExp[]): void {
  let error: unknown
  try {
    importIpynb(text)
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(CrdtError)
  expect((error as CrdtError).code).toBe('INVALID_NOTEBOOK')
  for (const fragment of fragments) expect((error as CrdtError).message).toMatch(fragment)
}

/** A minimal valid notebook with the given cells, as text. */
const nb = (cells: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells, ...extra })
const code = (outputs: unknown[]): Record<string, unknown> => ({ cell_type: 'code', id: 'c', metadata: {}, source: '', outputs, execution_count: null })

describe('ipynb import', () => {
  it('[I1] a 4.0 notebook keeps every cell, source (lists of lines joined) and output of every type', () => {
    const read = readNotebook(importIpynb(fixture('v4.0-all-outputs.ipynb')))
    expect(read.problems).toEqual([])
    expect(read.cells.map((c) => c.cellType)).toEqual(['markdown', 'code', 'code', 'raw', 'code'])
    const [md, first, second, raw, empty] = read.cells as [TextCellRead, CodeCellRead, CodeCellRead, TextCellRead, CodeCellRead]
    expect(md.source).toBe('# Old notebook\n\nWritten in nbformat **4.0**: no cell ids, sources as lists of lines.')
    expect(first.source).toBe("print('hello')\nprint('world')\nimport sys; print('a warning', file=sys.stderr)\n42")
    expect(first.executionCount).toBe(1)
    expect(first.metadata).toEqual({ collapsed: false, scrolled: 'auto' })
    expect(first.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'hello\nworld\n' },
      { output_type: 'stream', name: 'stderr', text: 'a warning\n' },
      { output_type: 'execute_result', data: { 'text/plain': '42' }, metadata: {}, execution_count: 1 },
    ])
    expect(second.outputs[0]).toMatchObject({ output_type: 'display_data', metadata: { 'image/png': { width: 1, height: 1 } } })
    expect(second.outputs[1]).toMatchObject({ output_type: 'error', ename: 'ZeroDivisionError', evalue: 'division by zero' })
    expect((second.outputs[1] as unknown as { traceback: string[] }).traceback).toHaveLength(3)
    expect(raw).toMatchObject({ source: '\\section{Raw}', metadata: { format: 'text/latex' } })
    expect(empty).toMatchObject({ source: '', outputs: [], executionCount: null, execution: { status: 'idle' } })
    expect(read.kernelspec).toEqual({ name: 'python3', display_name: 'Python 3', language: 'python' })
    expect(read.metadata['language_info']).toMatchObject({ name: 'python', codemirror_mode: { name: 'ipython', version: 3 } })
  })

  it('[I2] cells of a notebook older than 4.5 get generated, unique, valid ids', () => {
    const ids = readNotebook(importIpynb(fixture('v4.0-all-outputs.ipynb'))).cells.map((c) => c.id)
    expect(ids).toHaveLength(5)
    expect(new Set(ids).size).toBe(5)
    for (const id of ids) expect(isCellId(id)).toBe(true)
  })

  it('[I1] a 4.5 notebook keeps its cell ids, metadata and mime types', () => {
    const read = readNotebook(importIpynb(fixture('v4.5-ids.ipynb')))
    expect(read.cells.map((c) => c.id)).toEqual(['intro-cell', 'a1b2c3d4', 'Z_9-x'])
    const cell = read.cells[1] as CodeCellRead
    expect(cell.metadata['execution']).toEqual({
      'iopub.execute_input': '2024-01-01T00:00:00.000Z',
      'iopub.status.idle': '2024-01-01T00:00:01.000Z',
    })
    expect(cell.outputs[0]).toMatchObject({ data: { 'text/markdown': '**bold** result', 'text/plain': '<IPython.core.display.SVG object>' } })
  })

  it('[I1] a 4.4 notebook keeps attachments, JSON mime values, unicode and odd metadata keys', () => {
    const read = readNotebook(importIpynb(fixture('v4.4-attachments-unicode.ipynb')))
    expect(read.problems).toEqual([])
    const [md, cell] = read.cells as [TextCellRead, CodeCellRead]
    expect(md.source).toBe('Ελληνικά, 日本語, emoji 🎉👩‍🔬 and RTL עברית\n![pixel](attachment:pixel.png)')
    expect(md.attachments['pixel.png']).toEqual({
      'image/png': 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    })
    expect(md.metadata).toEqual({ tags: ['intro', 'ünïcødé'] })
    expect(cell.outputs[0]).toMatchObject({
      data: {
        'application/json': { nested: { list: [1, 2.5, true, null, 'ß'] }, empty: {} },
        'application/vnd.custom+json': [1, 2, 3],
        'text/html': '<table>\n<tr><td>π ≈ 3.14159</td></tr>\n</table>',
      },
      metadata: { isolated: true },
    })
    expect(cell.outputs[1]).toEqual({ output_type: 'stream', name: 'stdout', text: 'naïve café — “quotes”\ntab\tand\r\nno newline at end' })
    expect(read.metadata['custom']).toEqual({ deep: { deeper: ['a', { b: null }] }, '': 'empty key' })
    expect(read.metadata['title']).toBe('Attachments & unicode')
  })

  it('[N19] imported sources and stream text are collaborative text; output data and metadata are atoms', () => {
    let doc = importIpynb(fixture('v4.0-all-outputs.ipynb'))
    const id = readNotebook(doc).cells[1]!.id
    const cell = doc.cells[id] as unknown as Record<string, unknown>
    expect(typeof cell['source']).toBe('string')
    const outputs = cell['outputs'] as Record<string, unknown>[]
    expect(typeof outputs[0]!['text']).toBe('string')
    expect(A.isImmutableString((outputs[2]!['data'] as Record<string, unknown>)['text/plain'])).toBe(true)
    expect(A.isImmutableString((doc.metadata['kernelspec'] as Record<string, unknown>)['name'])).toBe(true)
    doc = A.change(doc, (d) => A.splice(d, ['cells', id, 'source'], 0, 0, '# '))
    expect((readNotebook(doc).cells[1] as CodeCellRead).source.startsWith("# print('hello')")).toBe(true)
  })

  it('[I2] a repeated cell id is replaced by a generated one for the later cell', () => {
    const text = nb([
      { cell_type: 'markdown', id: 'same', metadata: {}, source: 'one' },
      { cell_type: 'markdown', id: 'same', metadata: {}, source: 'two' },
    ])
    const cells = readNotebook(importIpynb(text)).cells
    expect(cells[0]).toMatchObject({ id: 'same', source: 'one' })
    expect(cells[1]).toMatchObject({ source: 'two' })
    expect(cells[1]!.id).not.toBe('same')
  })

  it('[I2][N21] a "__proto__" cell id is replaced and "__proto__" keys in metadata and bundles are dropped', () => {
    const text = nb([
      { cell_type: 'markdown', id: '__proto__', metadata: { ['__proto__']: { polluted: true }, ok: 1 }, source: 'x', attachments: { ['__proto__']: {}, 'a.png': { 'image/png': 'AA' } } },
      { ...code([{ output_type: 'display_data', data: { ['__proto__']: 'x', 'application/json': { ['__proto__']: 1, k: 2 } }, metadata: {} }]), id: 'c' },
    ])
    expect(text.match(/"__proto__"/g)).toHaveLength(5)
    const [md, cell] = readNotebook(importIpynb(text)).cells as [TextCellRead, CodeCellRead]
    expect(md.id).not.toBe('__proto__')
    expect(isCellId(md.id)).toBe(true)
    expect(md.metadata).toEqual({ ok: 1 })
    expect(Object.keys(md.attachments)).toEqual(['a.png'])
    expect(cell.outputs[0]).toEqual({ output_type: 'display_data', data: { 'application/json': { k: 2 } }, metadata: {} })
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })

  it('[I1] leniency for older writers: missing metadata, outputs and execution counts are filled in; a BOM is ignored', () => {
    const text = '\uFEFF' + JSON.stringify({
      nbformat: 4,
      nbformat_minor: 1,
      cells: [{ cell_type: 'code', source: ['x'], outputs: [{ output_type: 'execute_result', data: { 'text/plain': 'x' } }] }],
    })
    const [cell] = readNotebook(importIpynb(text)).cells as [CodeCellRead]
    expect(cell).toMatchObject({ metadata: {}, executionCount: null })
    expect(cell.outputs).toEqual([{ output_type: 'execute_result', data: { 'text/plain': 'x' }, metadata: {}, execution_count: null }])
  })

  const invalid: [string, string, RegExp[]][] = [
    ['not JSON', '{"cells": [', [/not JSON/]],
    ['not a string', 42 as unknown as string, [/text/]],
    ['a JSON list', '[]', [/top level is a list/]],
    ['no nbformat', JSON.stringify({ cells: [], metadata: {} }), [/\/nbformat/, /missing/]],
    ['nbformat 3', JSON.stringify({ nbformat: 3, nbformat_minor: 0, worksheets: [], metadata: {} }), [/nbformat 3 is too old/, /convert/]],
    ['nbformat 5', JSON.stringify({ nbformat: 5, nbformat_minor: 0, cells: [], metadata: {} }), [/nbformat 5 is not supported/]],
    ['nbformat 4.6', nb([], { nbformat_minor: 6 }), [/nbformat_minor/, /4\.0 to 4\.5/]],
    ['metadata not an object', nb([], { metadata: [] }), [/\/metadata/, /object/]],
    ['no cells', JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {} }), [/\/cells/, /missing/]],
    ['cells not a list', nb({}), [/\/cells/, /list/]],
    ['a cell that is a number', nb([7]), [/\/cells\/0/, /object/]],
    ['a cell without cell_type', nb([{ metadata: {}, source: '' }]), [/\/cells\/0\/cell_type/, /no cell_type/]],
    ['an unknown cell_type', nb([{ cell_type: 'heading', metadata: {}, source: '' }]), [/"heading" is not a cell type/]],
    ['a cell without source', nb([{ cell_type: 'markdown', metadata: {} }]), [/\/cells\/0\/source/, /no source/]],
    ['a source list with a number', nb([{ cell_type: 'markdown', metadata: {}, source: ['a', 1] }]), [/\/cells\/0\/source\/1/]],
    ['an invalid cell id', nb([{ cell_type: 'markdown', id: 'has space', metadata: {}, source: '' }]), [/\/cells\/0\/id/]],
    ['a too long cell id', nb([{ cell_type: 'markdown', id: 'x'.repeat(65), metadata: {}, source: '' }]), [/\/cells\/0\/id/]],
    ['attachments on a code cell', nb([{ ...code([]), attachments: {} }]), [/attachments are allowed only/]],
    ['outputs not a list', nb([{ ...code([]), outputs: {} }]), [/\/cells\/0\/outputs/, /list/]],
    ['an output of unknown type', nb([code([{ output_type: 'clear_output' }])]), [/\/cells\/0\/outputs\/0\/output_type/, /"clear_output" is not an output type/]],
    ['an output without output_type', nb([code([{ name: 'stdout', text: '' }])]), [/output_type/, /missing/]],
    ['a stream without text', nb([code([{ output_type: 'stream', name: 'stdout' }])]), [/\/outputs\/0\/text/]],
    ['an error without traceback', nb([code([{ output_type: 'error', ename: 'E', evalue: '' }])]), [/\/outputs\/0\/traceback/]],
    ['a text mime value that is a number', nb([code([{ output_type: 'display_data', data: { 'text/plain': 5 }, metadata: {} }])]), [/\/data\/text~1plain/]],
    ['a negative execution count', nb([{ ...code([]), execution_count: -1 }]), [/execution_count/]],
    ['attachments that are a list', nb([{ cell_type: 'markdown', metadata: {}, source: '', attachments: [] }]), [/attachments/]],
  ]
  it.each(invalid)('[I3] rejects %s with INVALID_NOTEBOOK naming what and where', (_name, text, fragments) => {
    expectInvalid(text, ...fragments)
  })
})
