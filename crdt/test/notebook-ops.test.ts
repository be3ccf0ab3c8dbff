import * as A from '@automerge/automerge'
import {
  appendOutput,
  clearOutputs,
  createNotebook,
  CrdtError,
  deleteCell,
  editSource,
  insertCell,
  isCellId,
  moveCell,
  readNotebook,
  setCellType,
  setExecutionCount,
  setExecutionState,
  type CodeCellRead,
  type NotebookDoc,
  type TextCellRead,
} from '../src/index.js'
import { describe, expect, it } from 'vitest'

type Doc = A.Doc<NotebookDoc>

const change = (doc: Doc, fn: (d: NotebookDoc) => void): Doc => A.change(doc, fn)
const ids = (doc: Doc): string[] => readNotebook(doc).cells.map((c) => c.id)
const code = (doc: Doc, id: string): CodeCellRead => {
  const cell = readNotebook(doc).cells.find((c) => c.id === id)
  if (cell?.cellType !== 'code') throw new Error(`${id} is not a code cell`)
  return cell
}

function expectCode(fn: () => unknown, code: string, message?: RegExp): void {
  let error: unknown
  try {
    fn()
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(CrdtError)
  expect((error as CrdtError).code).toBe(code)
  if (message) expect((error as CrdtError).message).toMatch(message)
}

/** A notebook with cells a, b, c (code, markdown, code). */
function abc(): Doc {
  return change(createNotebook(), (d) => {
    insertCell(d, 0, { cellType: 'code', id: 'a', source: 'x = 1' })
    insertCell(d, 1, { cellType: 'markdown', id: 'b', source: '# B' })
    insertCell(d, 2, { cellType: 'code', id: 'c' })
  })
}

describe('notebook operations', () => {
  it('[N1] createNotebook makes an empty notebook with its kernelspec and language', () => {
    const doc = createNotebook({ kernelspec: { name: 'sagemath', display_name: 'SageMath 9.5', language: 'sage' } })
    expect(doc.type.toString()).toBe('quire/notebook')
    expect(doc.schemaVersion).toBe(1)
    const read = readNotebook(doc)
    expect(read).toEqual({
      schemaVersion: 1,
      metadata: { kernelspec: { name: 'sagemath', display_name: 'SageMath 9.5', language: 'sage' }, language_info: { name: 'sage' } },
      kernelspec: { name: 'sagemath', display_name: 'SageMath 9.5', language: 'sage' },
      cells: [],
      problems: [],
    })
    expect(readNotebook(createNotebook()).metadata).toEqual({})
    expect(readNotebook(createNotebook({ language: 'python' })).metadata).toEqual({ language_info: { name: 'python' } })
    expectCode(() => createNotebook({ kernelspec: { name: 'x' } as never }), 'INVALID_ARGUMENT', /display_name/)
  })

  it('[N2][N3] insertCell places cells at visible indices with the right initial fields', () => {
    let doc = abc()
    let id = ''
    doc = change(doc, (d) => {
      id = insertCell(d, 1, { cellType: 'raw', source: 'r' })
    })
    expect(isCellId(id)).toBe(true)
    expect(ids(doc)).toEqual(['a', id, 'b', 'c'])
    const cells = readNotebook(doc).cells
    expect(cells[0]).toEqual({ cellType: 'code', id: 'a', source: 'x = 1', metadata: {}, outputs: [], executionCount: null, execution: { status: 'idle' } })
    expect(cells[1]).toEqual({ cellType: 'raw', id, source: 'r', metadata: {}, attachments: {} })
    expect(cells[2]).toEqual({ cellType: 'markdown', id: 'b', source: '# B', metadata: {}, attachments: {} })
  })

  it('[N2] generated ids are valid and distinct', () => {
    const doc = change(createNotebook(), (d) => {
      for (let i = 0; i < 100; i++) insertCell(d, i, { cellType: 'code' })
    })
    const all = ids(doc)
    expect(new Set(all).size).toBe(100)
    for (const id of all) expect(isCellId(id)).toBe(true)
  })

  it('[N4] insertCell rejects bad arguments with INVALID_ARGUMENT', () => {
    const doc = abc()
    const attempt = (index: number, init: unknown) => () => change(doc, (d) => void insertCell(d, index, init as never))
    expectCode(attempt(4, { cellType: 'code' }), 'INVALID_ARGUMENT', /index must be a whole number from 0 to 3/)
    expectCode(attempt(-1, { cellType: 'code' }), 'INVALID_ARGUMENT')
    expectCode(attempt(0.5, { cellType: 'code' }), 'INVALID_ARGUMENT')
    expectCode(attempt(0, { cellType: 'heading' }), 'INVALID_ARGUMENT', /cellType/)
    expectCode(attempt(0, { cellType: 'code', id: 'a' }), 'INVALID_ARGUMENT', /already exists/)
    expectCode(attempt(0, { cellType: 'code', id: 'bad id' }), 'INVALID_ARGUMENT', /nbformat/)
    expectCode(attempt(0, { cellType: 'code', id: 'x'.repeat(65) }), 'INVALID_ARGUMENT')
    expectCode(attempt(0, { cellType: 'code', id: '__proto__' }), 'INVALID_ARGUMENT')
    expectCode(attempt(0, { cellType: 'code', source: 5 }), 'INVALID_ARGUMENT', /source/)
  })

  it('[N4] every operation on an unknown id throws UNKNOWN_CELL', () => {
    const doc = abc()
    const ops: ((d: NotebookDoc) => void)[] = [
      (d) => deleteCell(d, 'zz'),
      (d) => moveCell(d, 'zz', 0),
      (d) => editSource(d, 'zz', 0, 0, 'x'),
      (d) => setCellType(d, 'zz', 'code'),
      (d) => appendOutput(d, 'zz', { output_type: 'stream', name: 'stdout', text: 'x' }),
      (d) => clearOutputs(d, 'zz'),
      (d) => setExecutionCount(d, 'zz', 1),
      (d) => setExecutionState(d, 'zz', { status: 'queued' }),
    ]
    for (const op of ops) expectCode(() => change(doc, op), 'UNKNOWN_CELL', /"zz"/)
  })

  it('[N9] deleteCell removes the cell and its id', () => {
    let doc = change(abc(), (d) => deleteCell(d, 'b'))
    expect(ids(doc)).toEqual(['a', 'c'])
    expect(doc.cellOrder.map(String)).toEqual(['a', 'c'])
    expect(Object.keys(doc.cells).sort()).toEqual(['a', 'c'])
    doc = change(doc, (d) => {
      deleteCell(d, 'a')
      deleteCell(d, 'c')
    })
    expect(readNotebook(doc).cells).toEqual([])
  })

  it('[N9] moveCell puts the cell at the visible index; out of range is INVALID_ARGUMENT', () => {
    let doc = change(abc(), (d) => moveCell(d, 'a', 2))
    expect(ids(doc)).toEqual(['b', 'c', 'a'])
    doc = change(doc, (d) => moveCell(d, 'a', 0))
    expect(ids(doc)).toEqual(['a', 'b', 'c'])
    doc = change(doc, (d) => moveCell(d, 'c', 1))
    expect(ids(doc)).toEqual(['a', 'c', 'b'])
    doc = change(doc, (d) => moveCell(d, 'c', 1))
    expect(ids(doc)).toEqual(['a', 'c', 'b'])
    expectCode(() => change(doc, (d) => moveCell(d, 'a', 3)), 'INVALID_ARGUMENT', /toIndex/)
    expectCode(() => change(doc, (d) => moveCell(d, 'a', -1)), 'INVALID_ARGUMENT')
  })

  it('[N10] editSource splices UTF-16 indices; bad ranges are INVALID_ARGUMENT', () => {
    let doc = change(abc(), (d) => {
      editSource(d, 'a', 5, 0, '0')
      editSource(d, 'a', 0, 1, 'y')
      editSource(d, 'b', 3, 0, ' 🎉 title')
    })
    expect(code(doc, 'a').source).toBe('y = 10')
    doc = change(doc, (d) => editSource(d, 'b', 4, 2, '!'))
    expect((readNotebook(doc).cells[1] as TextCellRead).source).toBe('# B ! title')
    expectCode(() => change(doc, (d) => editSource(d, 'a', 7, 0, 'x')), 'INVALID_ARGUMENT', /index/)
    expectCode(() => change(doc, (d) => editSource(d, 'a', 5, 2, '')), 'INVALID_ARGUMENT', /deleteCount/)
    expectCode(() => change(doc, (d) => editSource(d, 'a', 0, 0, 3 as never)), 'INVALID_ARGUMENT', /insert/)
  })

  it('[N10] editSource turns a source a peer stored as an atom into editable text', () => {
    let doc = change(abc(), (d) => {
      ;(d.cells['a'] as unknown as Record<string, unknown>)['source'] = new A.ImmutableString('atom')
    })
    expect(code(doc, 'a').source).toBe('atom')
    doc = change(doc, (d) => editSource(d, 'a', 4, 0, '!'))
    expect(code(doc, 'a').source).toBe('atom!')
    expect(typeof (doc.cells['a'] as unknown as Record<string, unknown>)['source']).toBe('string')
  })

  it('[N12] setCellType swaps code fields for attachments and back, keeping source and metadata', () => {
    let doc = change(abc(), (d) => {
      appendOutput(d, 'a', { output_type: 'stream', name: 'stdout', text: 'out' })
      setExecutionCount(d, 'a', 3)
      ;(d.cells['a']!.metadata as Record<string, unknown>)['tags'] = [new A.ImmutableString('t')]
      setCellType(d, 'a', 'markdown')
    })
    const raw = doc.cells['a'] as unknown as Record<string, unknown>
    expect(Object.keys(raw).sort()).toEqual(['attachments', 'cellType', 'id', 'metadata', 'source'])
    expect(readNotebook(doc).cells[0]).toEqual({ cellType: 'markdown', id: 'a', source: 'x = 1', metadata: { tags: ['t'] }, attachments: {} })
    doc = change(doc, (d) => {
      ;(d.cells['a'] as unknown as { attachments: Record<string, unknown> }).attachments['p.png'] = { 'image/png': new A.ImmutableString('AAAA') }
      setCellType(d, 'a', 'raw')
    })
    expect(readNotebook(doc).cells[0]).toMatchObject({ cellType: 'raw', attachments: { 'p.png': { 'image/png': 'AAAA' } } })
    doc = change(doc, (d) => setCellType(d, 'a', 'code'))
    expect(readNotebook(doc).cells[0]).toEqual({
      cellType: 'code', id: 'a', source: 'x = 1', metadata: { tags: ['t'] }, outputs: [], executionCount: null, execution: { status: 'idle' },
    })
    const heads = A.getHeads(doc)
    doc = change(doc, (d) => setCellType(d, 'a', 'code'))
    expect(A.getHeads(doc)).toEqual(heads)
    expectCode(() => change(doc, (d) => setCellType(d, 'a', 'text' as never)), 'INVALID_ARGUMENT')
  })

  it('[N13] consecutive stream outputs of one name merge; other outputs append', () => {
    const doc = change(abc(), (d) => {
      appendOutput(d, 'a', { output_type: 'stream', name: 'stdout', text: 'one\n' })
      appendOutput(d, 'a', { output_type: 'stream', name: 'stdout', text: 'two\n' })
      appendOutput(d, 'a', { output_type: 'stream', name: 'stderr', text: 'warn\n' })
      appendOutput(d, 'a', { output_type: 'stream', name: 'stdout', text: 'three\n' })
      appendOutput(d, 'a', { output_type: 'execute_result', data: { 'text/plain': '3' }, metadata: {}, execution_count: 1 })
      appendOutput(d, 'a', { output_type: 'stream', name: 'stdout', text: 'four' })
      appendOutput(d, 'a', { output_type: 'stream', name: 'stdout', text: '' })
    })
    expect(code(doc, 'a').outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'one\ntwo\n' },
      { output_type: 'stream', name: 'stderr', text: 'warn\n' },
      { output_type: 'stream', name: 'stdout', text: 'three\n' },
      { output_type: 'execute_result', data: { 'text/plain': '3' }, metadata: {}, execution_count: 1 },
      { output_type: 'stream', name: 'stdout', text: 'four' },
    ])
  })

  it('[N13] appending to a stream costs one small change however long the stream is', () => {
    let doc = change(abc(), (d) => appendOutput(d, 'a', { output_type: 'stream', name: 'stdout', text: 'x'.repeat(100_000) }))
    const before = A.save(doc).byteLength
    doc = change(doc, (d) => appendOutput(d, 'a', { output_type: 'stream', name: 'stdout', text: 'tail' }))
    expect(A.getLastLocalChange(doc)!.byteLength).toBeLessThan(200)
    expect(A.save(doc).byteLength - before).toBeLessThan(200)
    expect(code(doc, 'a').outputs).toHaveLength(1)
  })

  it('[N13] a stream whose text a peer stored as an atom is not appended to: a new stream output follows it', () => {
    let doc = change(abc(), (d) => {
      ;(d.cells['a'] as unknown as { outputs: unknown[] }).outputs.push({
        output_type: new A.ImmutableString('stream'),
        name: new A.ImmutableString('stdout'),
        text: new A.ImmutableString('atom\n'),
      })
    })
    doc = change(doc, (d) => appendOutput(d, 'a', { output_type: 'stream', name: 'stdout', text: 'more' }))
    expect(code(doc, 'a').outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'atom\n' },
      { output_type: 'stream', name: 'stdout', text: 'more' },
    ])
  })

  it('[N13] appendOutput checks its output and cell type', () => {
    const doc = abc()
    const bad = (output: unknown, id = 'a') => () => change(doc, (d) => appendOutput(d, id, output as never))
    expectCode(bad({ output_type: 'stream', name: 'stdout', text: 'x' }, 'b'), 'INVALID_ARGUMENT', /markdown cell/)
    expectCode(bad({ output_type: 'clear' }), 'INVALID_ARGUMENT', /not an output type/)
    expectCode(bad({ output_type: 'stream', name: 'stdout' }), 'INVALID_ARGUMENT', /text/)
    expectCode(bad({ output_type: 'display_data', data: { 'text/plain': 1 }, metadata: {} }), 'INVALID_ARGUMENT', /text~1plain/)
    expectCode(bad({ output_type: 'display_data', data: {}, metadata: { f: () => 1 } }), 'INVALID_ARGUMENT', /metadata\/f/)
    expectCode(bad({ output_type: 'execute_result', data: {}, metadata: {} }), 'INVALID_ARGUMENT', /execution_count/)
    expectCode(bad({ output_type: 'error', ename: 'E', evalue: 'v', traceback: [1] }), 'INVALID_ARGUMENT', /traceback\/0/)
  })

  it('[N14] clearOutputs removes every output', () => {
    let doc = change(abc(), (d) => {
      appendOutput(d, 'a', { output_type: 'stream', name: 'stdout', text: 'x' })
      appendOutput(d, 'a', { output_type: 'error', ename: 'E', evalue: 'v', traceback: [] })
    })
    doc = change(doc, (d) => clearOutputs(d, 'a'))
    expect(code(doc, 'a').outputs).toEqual([])
    expectCode(() => change(doc, (d) => clearOutputs(d, 'b')), 'INVALID_ARGUMENT')
  })

  it('[N15] setExecutionCount and setExecutionState write what the reader returns', () => {
    let doc = change(abc(), (d) => {
      setExecutionCount(d, 'a', 7)
      setExecutionState(d, 'a', { status: 'queued', requestedBy: '12D3KooWPeer', requestedAt: 1000 })
    })
    expect(code(doc, 'a')).toMatchObject({ executionCount: 7, execution: { status: 'queued', requestedBy: '12D3KooWPeer', requestedAt: 1000 } })
    doc = change(doc, (d) => {
      setExecutionState(d, 'a', { status: 'running', requestedBy: '12D3KooWPeer', requestedAt: 1000, startedAt: 1005 })
      setExecutionState(d, 'a', { status: 'done', startedAt: 1005, finishedAt: 1010.5 })
      setExecutionCount(d, 'a', null)
    })
    expect(code(doc, 'a')).toMatchObject({ executionCount: null, execution: { status: 'done', startedAt: 1005, finishedAt: 1010.5 } })
    expect(code(doc, 'a').execution).not.toHaveProperty('requestedBy')
    for (const count of [-1, 1.5, NaN, '1']) expectCode(() => change(doc, (d) => setExecutionCount(d, 'a', count as never)), 'INVALID_ARGUMENT')
    for (const state of [{ status: 'paused' }, { status: 'done', startedAt: -1 }, { status: 'done', requestedBy: '' }, null]) {
      expectCode(() => change(doc, (d) => setExecutionState(d, 'a', state as never)), 'INVALID_ARGUMENT')
    }
    expectCode(() => change(doc, (d) => setExecutionState(d, 'b', { status: 'queued' })), 'INVALID_ARGUMENT', /only code cells/)
  })

  it('[N8] insert, delete and move normalize cellOrder: duplicates, stale ids and missing cells', () => {
    let doc = change(abc(), (d) => {
      const order = d.cellOrder as unknown as unknown[]
      order.push(new A.ImmutableString('a'), new A.ImmutableString('gone'), 5)
      order.splice(0, 1)
      ;(d.cells as Record<string, unknown>)['z'] = { cellType: 'markdown', source: 'z', id: 'z', metadata: {} }
      ;(d.cells as Record<string, unknown>)['m'] = { cellType: 'markdown', source: 'm', id: 'm', metadata: {} }
    })
    const visible = ids(doc)
    expect(visible).toEqual(['b', 'c', 'a', 'm', 'z'])
    // Operations inside one cell leave the list alone (they run per keystroke); position operations repair it.
    doc = change(doc, (d) => editSource(d, 'c', 0, 0, 'x'))
    expect(doc.cellOrder.map(String)).toEqual(['b', 'c', 'a', 'gone', '5'])
    doc = change(doc, (d) => moveCell(d, 'c', 1))
    expect(doc.cellOrder.map(String)).toEqual(visible)
    expect(ids(doc)).toEqual(visible)
    for (const op of [(d: NotebookDoc) => void insertCell(d, 5, { cellType: 'code', id: 'n' }), (d: NotebookDoc) => deleteCell(d, 'a')]) {
      const messy = change(A.clone(doc), (d) => (d.cellOrder as unknown as unknown[]).push(new A.ImmutableString('b'), new A.ImmutableString('gone')))
      const repaired = change(A.clone(messy), op)
      expect(repaired.cellOrder.map(String)).toEqual(ids(repaired))
      expect(repaired.cellOrder).toHaveLength(Object.keys(repaired.cells).length)
    }
  })

  it('[N4] operations on a document that is not a notebook throw INVALID_NOTEBOOK', () => {
    const doc = A.from({ hello: 'world' } as Record<string, unknown>)
    expectCode(() => A.change(doc, (d) => void insertCell(d as never, 0, { cellType: 'code' })), 'INVALID_NOTEBOOK', /createNotebook/)
    const broken = change(abc(), (d) => {
      ;(d.cells as Record<string, unknown>)['b'] = 42
    })
    expectCode(() => change(broken, (d) => editSource(d, 'b', 0, 0, 'x')), 'INVALID_NOTEBOOK', /broken/)
    const cleaned = change(broken, (d) => deleteCell(d, 'b'))
    expect(ids(cleaned)).toEqual(['a', 'c'])
  })
})
