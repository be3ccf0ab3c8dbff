import { save } from '@automerge/automerge'
import { Repo, type DocHandle } from '@automerge/automerge-repo'
import { afterEach, describe, expect, it } from 'vitest'
import { flushSync } from 'svelte'
import { appendOutput, createNotebook, insertCell, readKernel, setExecutionState, type NotebookDoc } from '@quire/crdt'
import { NotebookState } from '../../src/lib/notebook/notebook-state.svelte.js'

const self = { peerId: '12D3KooWAlice', name: 'Alice', color: '#c33' }
const repos: Repo[] = []

function notebookHandle(): DocHandle<NotebookDoc> {
  const repo = new Repo({ network: [] })
  repos.push(repo)
  return repo.import<NotebookDoc>(save(createNotebook()))
}

function seeded(): { handle: DocHandle<NotebookDoc>; ids: string[] } {
  const handle = notebookHandle()
  const ids: string[] = []
  handle.change((d) => {
    ids.push(insertCell(d, 0, { cellType: 'code', source: 'a = 1' }))
    ids.push(insertCell(d, 1, { cellType: 'markdown', source: '*hi*' }))
    ids.push(insertCell(d, 2, { cellType: 'code', source: 'a' }))
  })
  return { handle, ids }
}

afterEach(async () => {
  await Promise.all(repos.splice(0).map((r) => r.shutdown()))
})

describe('NotebookState reads the document', () => {
  it('derives cells in display order from a real Automerge document', () => {
    const { handle, ids } = seeded()
    const state = new NotebookState(handle, self)
    expect(state.cells.map((c) => [c.id, c.cellType])).toEqual([
      [ids[0], 'code'],
      [ids[1], 'markdown'],
      [ids[2], 'code'],
    ])
  })

  it('re-runs an effect when another peer changes the document, and reads each version once', () => {
    const { handle, ids } = seeded()
    const state = new NotebookState(handle, self)
    const seen: string[][] = []
    const stop = $effect.root(() => {
      $effect(() => {
        seen.push(state.cells.map((c) => ('source' in c ? c.source : '')))
      })
    })
    flushSync()
    const before = state.notebook
    expect(state.notebook).toBe(before)
    // A change as it arrives from a peer: straight on the handle, not through the state.
    handle.change((d) => insertCell(d, 3, { cellType: 'raw', source: 'from bob' }))
    flushSync()
    stop()
    expect(seen).toEqual([
      ['a = 1', '*hi*', 'a'],
      ['a = 1', '*hi*', 'a', 'from bob'],
    ])
    expect(state.cells[3]?.cellType).toBe('raw')
    expect(state.cells).toHaveLength(ids.length + 1)
  })

  it('shows a broken cell as broken instead of failing', () => {
    const { handle } = seeded()
    handle.change((d) => {
      ;(d.cells as Record<string, unknown>)['junk'] = 'not a cell'
      ;(d.cellOrder as unknown as string[]).push('junk')
    })
    const state = new NotebookState(handle, self)
    expect(state.cells.at(-1)).toMatchObject({ cellType: 'broken', id: 'junk' })
  })
})

describe('NotebookState actions write the document', () => {
  it('run queues the cell as requested by this peer at the current time', () => {
    const { handle, ids } = seeded()
    handle.change((d) => appendOutput(d, ids[0]!, { output_type: 'stream', name: 'stdout', text: 'old' }))
    const state = new NotebookState(handle, self, { now: () => 1234 })
    expect(state.run(ids[0])).toBe(true)
    const cell = state.cells[0]
    expect(cell).toMatchObject({ execution: { status: 'queued', requestedBy: self.peerId, requestedAt: 1234 }, outputs: [] })
    expect(state.pendingCount).toBe(1)
  })

  it('run on a Markdown cell writes nothing and leaves edit mode (it renders)', () => {
    const { handle, ids } = seeded()
    const state = new NotebookState(handle, self)
    state.enterEdit(ids[1])
    const heads = handle.heads()
    expect(state.run(ids[1])).toBe(false)
    expect(handle.heads()).toEqual(heads)
    expect(state.mode).toBe('command')
  })

  it('run and advance selects the next cell, and adds a code cell after the last', () => {
    const { handle, ids } = seeded()
    const state = new NotebookState(handle, self)
    state.select(ids[0])
    state.runAndAdvance()
    expect(state.selectedId).toBe(ids[1])
    state.select(ids[2])
    state.runAndAdvance()
    expect(state.cells).toHaveLength(4)
    expect(state.selectedId).toBe(state.cells[3]!.id)
    expect(state.cells[3]!.cellType).toBe('code')
    expect(state.mode).toBe('edit')
  })

  it('run all queues every code cell in display order', () => {
    const { handle, ids } = seeded()
    const state = new NotebookState(handle, self, { now: () => 100 })
    expect(state.runAll()).toBe(2)
    const times = state.cells.flatMap((c) => (c.cellType === 'code' ? [[c.id, c.execution.requestedAt]] : []))
    expect(times).toEqual([
      [ids[0], 100],
      [ids[2], 100],
    ])
  })

  it('interrupt and restart add kernel requests from this peer', () => {
    const { handle } = seeded()
    let now = 10
    const state = new NotebookState(handle, self, { now: () => now })
    state.interrupt()
    now = 20
    state.restart()
    expect(readKernel(handle.doc()).requests.map((r) => [r.action, r.requestedBy, r.requestedAt])).toEqual([
      ['interrupt', self.peerId, 10],
      ['restart', self.peerId, 20],
    ])
    expect(state.kernel.requests).toHaveLength(2)
  })

  it('inserts, moves, retypes and deletes cells, keeping a sensible selection', () => {
    const { handle, ids } = seeded()
    const state = new NotebookState(handle, self)
    state.select(ids[0])
    const added = state.insertBelow(ids[0], 'markdown')!
    expect(state.cells.map((c) => c.id)).toEqual([ids[0], added, ids[1], ids[2]])
    expect(state.selectedId).toBe(added)
    state.moveCell(added, 10)
    expect(state.cells.at(-1)?.id).toBe(added)
    state.setCellType(added, 'code')
    expect(state.cells.at(-1)?.cellType).toBe('code')
    state.deleteCell(added)
    expect(state.cells.map((c) => c.id)).toEqual(ids)
    expect(state.selectedId).toBe(ids[2])
  })

  it('clear outputs empties a finished cell and resets its prompt', () => {
    const { handle, ids } = seeded()
    handle.change((d) => {
      appendOutput(d, ids[2]!, { output_type: 'execute_result', data: { 'text/plain': '1' }, metadata: {}, execution_count: 1 })
      setExecutionState(d, ids[2]!, { status: 'done' })
    })
    const state = new NotebookState(handle, self)
    state.clearAllOutputs()
    expect(state.cells[2]).toMatchObject({ outputs: [], executionCount: null, execution: { status: 'idle' } })
  })

  it('turns an action on a cell another peer deleted into an error message, not a throw', () => {
    const { handle, ids } = seeded()
    const state = new NotebookState(handle, self)
    state.select(ids[0])
    state.setCellType('gone', 'raw')
    expect(state.error).toMatch(/no cell "gone"/)
    state.setCellType(ids[0], 'raw')
    expect(state.error).toBeUndefined()
  })
})
