/**
 * The short path of a fast cell (issue 7's latency target): the running state on disk before the code
 * runs, then outputs, end state and kernel status in one change; and the narrow notebook readers agree
 * with `readNotebook`.
 */
import * as A from '@automerge/automerge'
import { createNotebook, insertCell, readKernel, readNotebook, setExecutionState, type NotebookDoc } from '@quire/crdt'
import { afterEach, describe, expect, it } from 'vitest'
import { NotebookExecutor } from '../../src/executor/notebook-executor.js'
import { queuedCells, queuedCellsOf, readOneCell } from '../../src/executor/queue.js'
import { ALICE, harness, kernelStatus, until, type Harness } from './harness.js'

let h: Harness
afterEach(async () => { await h?.stop() })

describe('a fast cell', () => {
  it('is marked running and persisted before it runs, then finished in one change with its outputs and the kernel status', async () => {
    h = harness()
    const { handle, ids } = h.notebook(['print warm', 'print a\nresult 2'])
    const atPersist: { status: string; executed: number }[] = []
    const ex = new NotebookExecutor({
      env: h.env, handle, workdir: '/tmp', network: () => false, isWriter: async (p) => p === ALICE,
      persist: async () => {
        atPersist.push({ status: h.cell(handle, ids[atPersist.length]!).execution.status, executed: h.launcher.started[0]?.executed.length ?? 0 })
      },
    })
    ex.start()
    h.queue(handle, ids[0]!, 1)
    await until(() => h.cell(handle, ids[0]!).execution.status === 'done')
    await ex.idle()

    const seen: { status: string; outputs: number; kernel: string | undefined }[] = []
    handle.on('change', () => {
      const cell = h.cell(handle, ids[1]!)
      seen.push({ status: cell.execution.status, outputs: cell.outputs.length, kernel: kernelStatus(handle) })
    })
    const before = A.getAllChanges(handle.doc()).length
    h.queue(handle, ids[1]!, 2)
    await until(() => h.cell(handle, ids[1]!).execution.status === 'done')
    await ex.idle()
    // The at-most-once rule: each cell was running (not queued) when persisted, and nothing had run yet.
    expect(atPersist).toEqual([{ status: 'running', executed: 0 }, { status: 'running', executed: 1 }])
    // Our queuing, the running state, then one change with the outputs, `done` and the kernel's idle.
    expect(A.getAllChanges(handle.doc()).length - before).toBe(3)
    expect(seen).toEqual([
      { status: 'queued', outputs: 0, kernel: 'idle' },
      { status: 'running', outputs: 0, kernel: 'idle' },
      { status: 'done', outputs: 2, kernel: 'idle' },
    ])
    await ex.stop()
  })

  it('still shows the kernel busy, and its outputs, while a long cell runs', async () => {
    h = harness({ flushMs: 50 })
    const { handle, ids } = h.notebook(['print warm', 'print started\nsleep 400'])
    h.executor(handle)
    h.queue(handle, ids[0]!, 1)
    await until(() => h.cell(handle, ids[0]!).execution.status === 'done')
    h.queue(handle, ids[1]!, 2)
    await until(() => kernelStatus(handle) === 'busy' && h.cell(handle, ids[1]!).outputs.length === 1, 300, 'busy and the first output while running')
    expect(h.cell(handle, ids[1]!).execution.status).toBe('running')
    await until(() => h.cell(handle, ids[1]!).execution.status === 'done')
    expect(readKernel(handle.doc()).state?.status).toBe('idle')
  })
})

describe('narrow notebook readers', () => {
  it('find the queued cells in the order readNotebook gives, and read one cell as it does', () => {
    let doc = createNotebook()
    const ids: string[] = []
    doc = A.change(doc, (d: NotebookDoc) => {
      for (let i = 0; i < 6; i++) ids.push(insertCell(d, i, { cellType: i === 4 ? 'markdown' : 'code', source: `c${i}` }))
      for (const i of [5, 1, 3, 0]) setExecutionState(d, ids[i]!, { status: 'queued', requestedBy: ALICE, requestedAt: i === 0 ? 20 : 10 })
    })
    // A cell missing from the order (shown last) and a junk status.
    doc = A.change(doc, (d) => {
      const order = (d as unknown as { cellOrder: string[] }).cellOrder
      order.splice(order.indexOf(ids[1]!), 1)
      ;(d as unknown as { cells: Record<string, { execution: unknown }> }).cells[ids[2]!]!.execution = { status: 42 }
    })
    const whole = queuedCells(readNotebook(doc)).map((c) => c.id)
    expect(whole).toEqual([ids[3], ids[5], ids[1], ids[0]])
    expect(queuedCellsOf(doc).map((c) => c.id)).toEqual(whole)
    for (const id of ids) expect(readOneCell(doc, id)).toEqual(readNotebook(doc).cells.find((c) => c.id === id))
    expect(readOneCell(doc, 'nope')).toBeUndefined()
    expect(queuedCellsOf('junk')).toEqual([])
  })
})
