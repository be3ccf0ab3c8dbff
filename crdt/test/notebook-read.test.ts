import * as A from '@automerge/automerge'
import { createNotebook, insertCell, readNotebook, type CodeCellRead, type NotebookDoc } from '../src/index.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

/** A notebook whose cells map and order are set raw, as a hostile or buggy peer might. */
function raw(cells: Record<string, unknown>, cellOrder: unknown = Object.keys(cells), extra: Record<string, unknown> = {}): unknown {
  return A.from({ type: 'quire/notebook', schemaVersion: 1, metadata: {}, cellOrder, cells, ...extra } as Record<string, unknown>)
}

const good = { cellType: 'code', id: 'ok', source: 'x', metadata: {}, outputs: [], executionCount: 1, execution: { status: 'done' } }

describe('readNotebook on junk', () => {
  it.each([null, undefined, 0, 'notebook', [], [1, 2], true, new Uint8Array(3)])('[N16] %s reads as an empty notebook with a problem', (value) => {
    const read = readNotebook(value)
    expect(read.cells).toEqual([])
    expect(read.problems.length).toBeGreaterThan(0)
  })

  it('[N16] a throwing getter or proxy never makes it throw', () => {
    const hostile = new Proxy({}, { get: () => { throw new Error('boom') }, ownKeys: () => { throw new Error('boom') } })
    expect(readNotebook(hostile).problems[0]!.message).toMatch(/could not be read/)
    const getter = { type: 'quire/notebook', get cells(): unknown { throw new Error('boom') } }
    expect(readNotebook(getter).cells).toEqual([])
  })

  it('[N16][N18] any JSON value as a whole document or as a cell never throws (random values, fixed seed)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (doc, cellValue) => {
        readNotebook(doc)
        const read = readNotebook({ type: 'quire/notebook', schemaVersion: 1, cellOrder: ['x', 'ok'], cells: { x: cellValue, ok: good } })
        expect(read.cells.map((c) => c.id)).toEqual(['x', 'ok'])
        expect(read.cells[1]).toMatchObject({ cellType: 'code', source: 'x' })
      }),
      { seed: 7, numRuns: process.env.QUIRE_LONG === '1' ? 5000 : 500 },
    )
  })

  it('[N17] a cell that is a number, has no source, an unknown type or a bad id is broken; the others are fine', () => {
    const read = readNotebook(
      raw({
        num: 42,
        nosource: { cellType: 'markdown', metadata: {} },
        badsource: { cellType: 'markdown', source: ['a'] },
        weird: { cellType: 'heading', source: 'x' },
        notype: { source: 'x' },
        'bad id!': { cellType: 'markdown', source: 'x' },
        ok: good,
      }),
    )
    const broken = read.cells.filter((c) => c.cellType === 'broken')
    expect(broken.map((c) => c.id)).toEqual(['num', 'nosource', 'badsource', 'weird', 'notype', 'bad id!'])
    for (const cell of broken) expect(cell.cellType === 'broken' && cell.problems[0]!.path).toBe(`/cells/${cell.id}`)
    expect(read.cells.at(-1)).toEqual({ ...good, source: 'x', execution: { status: 'done' } })
  })

  it('[N18] missing or junk fields are defaulted and reported, not fatal', () => {
    const read = readNotebook(
      raw({
        c: { cellType: 'code', source: 's', metadata: 'junk', outputs: { not: 'a list' }, executionCount: -3, execution: { status: 'flying' } },
        m: { cellType: 'markdown', source: 's', attachments: 7 },
        bare: { cellType: 'code', source: '' },
      }),
    )
    expect(read.cells[0]).toEqual({ cellType: 'code', id: 'c', source: 's', metadata: {}, outputs: [], executionCount: null, execution: { status: 'idle' } })
    expect(read.cells[1]).toEqual({ cellType: 'markdown', id: 'm', source: 's', metadata: {}, attachments: {} })
    expect(read.cells[2]).toEqual({ cellType: 'code', id: 'bare', source: '', metadata: {}, outputs: [], executionCount: null, execution: { status: 'idle' } })
    expect(read.problems.map((p) => p.path).sort()).toEqual(
      ['/cells/c/metadata', '/cells/c/outputs', '/cells/c/executionCount', '/cells/c/execution/status', '/cells/m/attachments'].sort(),
    )
  })

  it('[N18] a junk output is a broken output; bad mime values are dropped; good outputs stay', () => {
    const read = readNotebook(
      raw({
        c: {
          cellType: 'code',
          source: '',
          outputs: [
            5,
            { output_type: 'teleport' },
            { output_type: 'stream', name: 'stdout' },
            { output_type: 'error', ename: 'E', evalue: 'v', traceback: [1] },
            { output_type: 'display_data', data: { 'text/plain': 3, 'text/html': '<b>', 'application/json': { a: 1 } } },
            { output_type: 'stream', name: 'stdout', text: ['a', 'b'] },
          ],
        },
      }),
    )
    const outputs = (read.cells[0] as CodeCellRead).outputs
    expect(outputs.slice(0, 4).map((o) => o.output_type)).toEqual(['broken', 'broken', 'broken', 'broken'])
    expect(outputs[4]).toEqual({ output_type: 'display_data', data: { 'text/html': '<b>', 'application/json': { a: 1 } }, metadata: {} })
    expect(outputs[5]).toEqual({ output_type: 'stream', name: 'stdout', text: 'ab' })
    expect(read.problems).toEqual([{ path: '/cells/c/outputs/4/data/text~1plain', message: 'a text/plain value must be a string; dropped' }])
  })

  it('[N16] document-level junk: wrong type tag, newer schema, junk order and metadata, bad kernelspec', () => {
    const read = readNotebook(raw({ ok: good }, 'not a list', { type: 'quire/text', schemaVersion: 9, metadata: { kernelspec: { name: 1 }, language_info: 'py', keep: [1] } }))
    expect(read.cells.map((c) => c.id)).toEqual(['ok'])
    expect(read.schemaVersion).toBe(9)
    expect(read.kernelspec).toBeUndefined()
    expect(read.metadata).toEqual({ keep: [1] })
    expect(read.problems.map((p) => p.path)).toEqual(['/type', '/schemaVersion', '/metadata/kernelspec', '/metadata/language_info', '/cellOrder'])
    expect(readNotebook(raw({ ok: good }, [], { cells: [good] })).problems.map((p) => p.path)).toContain('/cells')
  })

  it('[N16] counters, dates and bytes in metadata are read or dropped, never thrown on', () => {
    let doc = createNotebook()
    doc = A.change(doc, (d: NotebookDoc) => {
      insertCell(d, 0, { cellType: 'code', id: 'c' })
      const metadata = d.metadata as Record<string, unknown>
      metadata['count'] = new A.Counter(3)
      metadata['when'] = new Date(0)
      metadata['bytes'] = new Uint8Array([1, 2])
      metadata['text'] = 'collaborative'
    })
    const read = readNotebook(doc)
    expect(read.metadata).toEqual({ count: 3, when: '1970-01-01T00:00:00.000Z', text: 'collaborative' })
    expect(read.problems).toEqual([{ path: '/metadata/bytes', message: 'a byte array is not JSON; dropped' }])
  })

  it('[N16] deeply nested metadata is cut off instead of overflowing the stack', () => {
    let deep: unknown = 'bottom'
    for (let i = 0; i < 10_000; i++) deep = { d: deep }
    const read = readNotebook({ type: 'quire/notebook', schemaVersion: 1, metadata: { deep }, cells: {}, cellOrder: [] })
    expect(read.problems[0]!.message).toMatch(/nested deeper/)
  })
})
