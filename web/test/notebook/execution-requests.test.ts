import { change, type Doc } from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import {
  appendOutput,
  createNotebook,
  insertCell,
  markKernelRequestHandled,
  readKernel,
  readNotebook,
  setExecutionCount,
  setExecutionState,
  type CodeCellRead,
  type NotebookDoc,
} from '@quire/crdt'
import { clearCell, requestKernelAction, requestRun, requestRunMany } from '../../src/lib/notebook/execution-requests.js'

const ME = '12D3KooWMember'

function notebookWith(): { doc: Doc<NotebookDoc>; code: string; md: string; code2: string } {
  let ids = { code: '', md: '', code2: '' }
  const doc = change(createNotebook(), (d) => {
    ids = {
      code: insertCell(d, 0, { cellType: 'code', source: 'print(1)' }),
      md: insertCell(d, 1, { cellType: 'markdown', source: '# hi' }),
      code2: insertCell(d, 2, { cellType: 'code', source: '2+2' }),
    }
    appendOutput(d, ids.code, { output_type: 'stream', name: 'stdout', text: 'old\n' })
    setExecutionCount(d, ids.code, 3)
  })
  return { doc, ...ids }
}

function codeCell(doc: Doc<NotebookDoc>, id: string): CodeCellRead {
  const cell = readNotebook(doc).cells.find((c) => c.id === id)
  if (cell?.cellType !== 'code') throw new Error('not a code cell')
  return cell
}

describe('run requests', () => {
  it('queues a code cell with who asked and when, and clears its old outputs', () => {
    const nb = notebookWith()
    let queued = false
    const doc = change(nb.doc, (d) => (queued = requestRun(d, nb.code, ME, 1000)))
    expect(queued).toBe(true)
    const cell = codeCell(doc, nb.code)
    expect(cell.execution).toEqual({ status: 'queued', requestedBy: ME, requestedAt: 1000 })
    expect(cell.outputs).toEqual([])
    // The prompt number stays until the compute peer writes the new one, as in Jupyter.
    expect(cell.executionCount).toBe(3)
  })

  it('does not queue a Markdown cell or a cell that is gone', () => {
    const nb = notebookWith()
    const doc = change(nb.doc, (d) => {
      expect(requestRun(d, nb.md, ME, 1)).toBe(false)
      expect(requestRun(d, 'no-such-cell', ME, 1)).toBe(false)
    })
    expect(readNotebook(doc)).toEqual(readNotebook(nb.doc))
  })

  it('queues many cells at one request time (the executor then runs them in notebook order), skipping non-code cells and repeats', () => {
    const nb = notebookWith()
    let queued: string[] = []
    const doc = change(nb.doc, (d) => (queued = requestRunMany(d, [nb.code, nb.md, nb.code2, nb.code], ME, 5000)))
    expect(queued).toEqual([nb.code, nb.code2])
    expect(codeCell(doc, nb.code).execution.requestedAt).toBe(5000)
    expect(codeCell(doc, nb.code2).execution.requestedAt).toBe(5000)
    expect(codeCell(doc, nb.code2).execution.status).toBe('queued')
  })
})

describe('clearing outputs', () => {
  it('clears outputs and the prompt number and resets a finished cell to idle', () => {
    const nb = notebookWith()
    const done = change(nb.doc, (d) => setExecutionState(d, nb.code, { status: 'done', finishedAt: 9 }))
    const doc = change(done, (d) => expect(clearCell(d, nb.code)).toBe(true))
    const cell = codeCell(doc, nb.code)
    expect(cell.outputs).toEqual([])
    expect(cell.executionCount).toBeNull()
    expect(cell.execution.status).toBe('idle')
  })

  it('leaves the state of a running cell to the compute peer', () => {
    const nb = notebookWith()
    const running = change(nb.doc, (d) => setExecutionState(d, nb.code, { status: 'running', startedAt: 5 }))
    const doc = change(running, (d) => clearCell(d, nb.code))
    expect(codeCell(doc, nb.code).execution).toEqual({ status: 'running', startedAt: 5 })
    expect(codeCell(doc, nb.code).outputs).toEqual([])
  })
})

describe('kernel requests', () => {
  it('writes interrupt and restart requests that readKernel returns, in order, until handled', () => {
    const nb = notebookWith()
    let interruptId = ''
    let doc = change(nb.doc, (d) => {
      interruptId = requestKernelAction(d, 'interrupt', ME, 100)
      requestKernelAction(d, 'restart', ME, 200)
    })
    const requests = readKernel(doc).requests
    expect(requests.map((r) => [r.action, r.requestedBy, r.requestedAt, r.handledAt])).toEqual([
      ['interrupt', ME, 100, undefined],
      ['restart', ME, 200, undefined],
    ])
    doc = change(doc, (d) => markKernelRequestHandled(d, interruptId, { by: '12D3KooWCompute', at: 150 }))
    expect(readKernel(doc).requests[0]?.handledAt).toBe(150)
  })
})
