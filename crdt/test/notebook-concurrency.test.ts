import * as A from '@automerge/automerge'
import {
  appendOutput,
  clearOutputs,
  createNotebook,
  deleteCell,
  editSource,
  insertCell,
  moveCell,
  readNotebook,
  setCellType,
  setExecutionState,
  type CodeCellRead,
  type NotebookDoc,
} from '../src/index.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

type Doc = A.Doc<NotebookDoc>

const change = (doc: Doc, fn: (d: NotebookDoc) => void): Doc => A.change(doc, fn)
const ids = (doc: Doc): string[] => readNotebook(doc).cells.map((c) => c.id)
const cell = (doc: Doc, id: string) => readNotebook(doc).cells.find((c) => c.id === id)

/** Two peers that start from the same notebook with cells a..e; `merge` gives both merge orders. */
function twoPeers(): [Doc, Doc] {
  const base = change(createNotebook(), (d) => {
    ;['a', 'b', 'c', 'd', 'e'].forEach((id, i) => insertCell(d, i, { cellType: 'code', id, source: `${id} = ${i}` }))
  })
  return [A.clone(base, { actor: 'aaaa' }), A.clone(base, { actor: 'bbbb' })]
}

function merged(left: Doc, right: Doc): [Doc, Doc] {
  const one = A.merge(A.clone(left), right)
  const two = A.merge(A.clone(right), left)
  // Both peers see the same thing, whichever merge they did.
  expect(readNotebook(two)).toEqual(readNotebook(one))
  return [one, two]
}

describe('notebook under concurrent edits', () => {
  it('[N5] concurrent moves of one cell leave one copy, the same on both peers', () => {
    let [p, q] = twoPeers()
    p = change(p, (d) => moveCell(d, 'c', 0))
    q = change(q, (d) => moveCell(d, 'c', 4))
    const [m] = merged(p, q)
    expect(m.cellOrder.map(String).filter((id) => id === 'c')).toHaveLength(2)
    const visible = ids(m)
    expect([...visible].sort()).toEqual(['a', 'b', 'c', 'd', 'e'])
    // The first copy wins: c is at the top.
    expect(visible).toEqual(['c', 'a', 'b', 'd', 'e'])
  })

  it('[N5][N8] after concurrent moves the next move repairs the list and both peers converge', () => {
    let [p, q] = twoPeers()
    p = change(p, (d) => moveCell(d, 'a', 3))
    q = change(q, (d) => moveCell(d, 'a', 1))
    let [mp, mq] = merged(p, q)
    const visible = ids(mp)
    // Both peers repair the same duplicate concurrently: deleting one list element twice is idempotent.
    mp = change(mp, (d) => moveCell(d, 'e', 0))
    mq = change(mq, (d) => moveCell(d, 'b', 4))
    expect(mp.cellOrder).toHaveLength(5)
    const [final] = merged(mp, mq)
    expect(final.cellOrder.map(String)).toEqual(ids(final))
    expect(ids(final)).toHaveLength(5)
    expect(visible).toHaveLength(5)
  })

  it('[N5] random concurrent moves, inserts and deletes always show each live cell exactly once (fixed seed)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('move' as const), pick: fc.nat(), to: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), to: fc.nat() }),
      fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
    )
    type Op = { kind: 'move' | 'insert' | 'delete'; pick?: number; to?: number }
    const apply = (doc: Doc, o: Op): Doc => {
      const now = ids(doc)
      if (o.kind === 'insert') return change(doc, (d) => void insertCell(d, o.to! % (now.length + 1), { cellType: 'markdown' }))
      if (now.length === 0) return doc
      const id = now[o.pick! % now.length]!
      if (o.kind === 'delete') return change(doc, (d) => deleteCell(d, id))
      return change(doc, (d) => moveCell(d, id, o.to! % now.length))
    }
    fc.assert(
      fc.property(fc.array(op, { maxLength: 6 }), fc.array(op, { maxLength: 6 }), (left, right) => {
        let [p, q] = twoPeers()
        for (const o of left) p = apply(p, o)
        for (const o of right) q = apply(q, o)
        const [m] = merged(p, q)
        const visible = ids(m)
        expect(new Set(visible).size).toBe(visible.length)
        expect([...visible].sort()).toEqual(Object.keys(m.cells).sort())
      }),
      { seed: 4242, numRuns: process.env.QUIRE_LONG === '1' ? 1000 : 25 },
    )
  })

  it('[N6][N7] ids without a cell are skipped and cells missing from the order come last, by id', () => {
    let [p, q] = twoPeers()
    // p deletes c while q moves it: q's re-inserted id has no cell any more.
    p = change(p, (d) => deleteCell(d, 'c'))
    q = change(q, (d) => moveCell(d, 'c', 0))
    const [m] = merged(p, q)
    expect(m.cellOrder.map(String)).toContain('c')
    expect(ids(m)).toEqual(['a', 'b', 'd', 'e'])
    const lost = change(m, (d) => {
      ;(d.cellOrder as unknown as unknown[]).splice(0, d.cellOrder.length)
    })
    expect(ids(lost)).toEqual(['a', 'b', 'd', 'e'])
  })

  it('[N10] concurrent source edits of one cell merge', () => {
    let [p, q] = twoPeers()
    p = change(p, (d) => editSource(d, 'b', 0, 0, '# from p\n'))
    q = change(q, (d) => editSource(d, 'b', 5, 0, ' + 10'))
    const [m] = merged(p, q)
    expect(cell(m, 'b')).toMatchObject({ source: '# from p\nb = 1 + 10' })
  })

  it('[N11] a cell deleted while another peer edits it stays deleted', () => {
    let [p, q] = twoPeers()
    p = change(p, (d) => deleteCell(d, 'd'))
    q = change(q, (d) => {
      editSource(d, 'd', 0, 0, 'edited ')
      appendOutput(d, 'd', { output_type: 'stream', name: 'stdout', text: 'out' })
      setExecutionState(d, 'd', { status: 'running', startedAt: 5 })
      setCellType(d, 'd', 'markdown')
    })
    const [m] = merged(p, q)
    expect(ids(m)).toEqual(['a', 'b', 'c', 'e'])
    expect(readNotebook(m).problems).toEqual([])
  })

  it('[N14] outputs streamed while another peer clears are kept; the cleared ones are gone', () => {
    let [p, q] = twoPeers()
    p = change(p, (d) => appendOutput(d, 'a', { output_type: 'stream', name: 'stdout', text: 'old\n' }))
    q = A.merge(q, p)
    p = change(p, (d) => appendOutput(d, 'a', { output_type: 'display_data', data: { 'text/plain': 'new' }, metadata: {} }))
    q = change(q, (d) => clearOutputs(d, 'a'))
    const [m] = merged(p, q)
    expect((cell(m, 'a') as CodeCellRead).outputs).toEqual([{ output_type: 'display_data', data: { 'text/plain': 'new' }, metadata: {} }])
  })

  it('[N13] two peers appending to one stream both keep their text', () => {
    let [p, q] = twoPeers()
    p = change(p, (d) => appendOutput(d, 'a', { output_type: 'stream', name: 'stdout', text: 'start\n' }))
    q = A.merge(q, p)
    p = change(p, (d) => appendOutput(d, 'a', { output_type: 'stream', name: 'stdout', text: 'from p\n' }))
    q = change(q, (d) => appendOutput(d, 'a', { output_type: 'stream', name: 'stdout', text: 'from q\n' }))
    const [m] = merged(p, q)
    const outputs = (cell(m, 'a') as CodeCellRead).outputs
    expect(outputs).toHaveLength(1)
    const text = (outputs[0] as { text: string }).text
    expect(text.startsWith('start\n')).toBe(true)
    expect([...text.slice(6).split('\n')].sort()).toEqual(['', 'from p', 'from q'])
  })

  it('[N15] concurrent execution states: one wins whole, never a mix of fields', () => {
    let [p, q] = twoPeers()
    p = change(p, (d) => setExecutionState(d, 'a', { status: 'queued', requestedBy: 'peerP', requestedAt: 10 }))
    q = change(q, (d) => setExecutionState(d, 'a', { status: 'done', startedAt: 1, finishedAt: 2 }))
    const [m] = merged(p, q)
    const state = (cell(m, 'a') as CodeCellRead).execution
    expect([
      { status: 'queued', requestedBy: 'peerP', requestedAt: 10 },
      { status: 'done', startedAt: 1, finishedAt: 2 },
    ]).toContainEqual(state)
  })

  it('[N12] concurrent type changes leave one consistent cell', () => {
    let [p, q] = twoPeers()
    p = change(p, (d) => setCellType(d, 'e', 'markdown'))
    q = change(q, (d) => setCellType(d, 'e', 'raw'))
    const [m] = merged(p, q)
    const read = cell(m, 'e')
    expect(['markdown', 'raw']).toContain(read?.cellType)
    expect(read).toMatchObject({ source: 'e = 4', attachments: {} })
  })

  it('[N2] concurrent inserts at one index keep both cells, in the same order on both peers', () => {
    let [p, q] = twoPeers()
    let fromP = ''
    let fromQ = ''
    p = change(p, (d) => {
      fromP = insertCell(d, 2, { cellType: 'markdown', source: 'p' })
    })
    q = change(q, (d) => {
      fromQ = insertCell(d, 2, { cellType: 'markdown', source: 'q' })
    })
    const [m] = merged(p, q)
    const visible = ids(m)
    expect(visible.slice(0, 2)).toEqual(['a', 'b'])
    expect(new Set(visible.slice(2, 4))).toEqual(new Set([fromP, fromQ]))
  })
})
