import * as A from '@automerge/automerge'
import {
  appendDisplayData,
  appendOutput,
  CrdtError,
  createNotebook,
  exportIpynb,
  insertCell,
  markKernelRequestHandled,
  pruneKernelRequests,
  readKernel,
  readNotebook,
  requestKernel,
  setComputeOffer,
  setKernelState,
  updateDisplayData,
  type ComputeOffer,
  type KernelState,
  type NotebookDoc,
} from '../src/index.js'
import { describe, expect, it } from 'vitest'

type Doc = A.Doc<NotebookDoc>
const PEER = '12D3KooWExampleComputePeer'
const ALICE = '12D3KooWAlice'

const change = (doc: Doc, fn: (d: NotebookDoc) => void): Doc => A.change(doc, fn)

function expectCode(fn: () => unknown, code: string): void {
  let error: unknown
  try { fn() } catch (e) { error = e }
  expect(error).toBeInstanceOf(CrdtError)
  expect((error as CrdtError).code).toBe(code)
}

const state = (over: Partial<KernelState> = {}): KernelState => ({ peer: PEER, spec: 'python3', status: 'idle', updatedAt: 1000, ...over })

const offer: ComputeOffer = {
  peer: PEER,
  kernels: [{ name: 'python3', displayName: 'Python 3', language: 'python' }],
  limits: { memoryBytes: 1 << 30, processes: 64 },
  network: false,
  notes: ['memory limit: cgroup v1'],
  onlineSince: 500,
  updatedAt: 600,
}

describe('kernel state', () => {
  it('[N22] setKernelState replaces the state whole; concurrent states never mix', () => {
    let doc = change(createNotebook(), (d) => setKernelState(d, state({ status: 'starting', message: 'starting sandbox' })))
    expect(readKernel(doc).state).toEqual(state({ status: 'starting', message: 'starting sandbox' }))
    const a = change(A.clone(doc), (d) => setKernelState(d, state({ status: 'dead', message: 'killed: out of memory', updatedAt: 2000 })))
    const b = change(A.clone(doc), (d) => setKernelState(d, state({ status: 'busy', updatedAt: 2001 })))
    const ab = A.merge(A.clone(a), b)
    const ba = A.merge(A.clone(b), a)
    const read = readKernel(ab).state
    expect(readKernel(ba).state).toEqual(read)
    expect([state({ status: 'dead', message: 'killed: out of memory', updatedAt: 2000 }), state({ status: 'busy', updatedAt: 2001 })]).toContainEqual(read)
    doc = change(doc, (d) => setKernelState(d, state()))
    expect(readKernel(doc).state?.message).toBeUndefined()
    expectCode(() => change(doc, (d) => setKernelState(d, state({ status: 'asleep' as never }))), 'INVALID_ARGUMENT')
    expectCode(() => change(doc, (d) => setKernelState(d, state({ peer: 'has space' }))), 'INVALID_ARGUMENT')
    expectCode(() => change(doc, (d) => setKernelState(d, state({ message: 'x'.repeat(4097) }))), 'INVALID_ARGUMENT')
    expectCode(() => change(doc, (d) => setKernelState(d, state({ updatedAt: -1 }))), 'INVALID_ARGUMENT')
  })
})

describe('kernel requests', () => {
  it('[N23] a new notebook has the requests map, so two peers\' first requests land in one map', () => {
    const base = createNotebook()
    const a = change(A.clone(base), (d) => { requestKernel(d, { action: 'interrupt', requestedBy: ALICE, requestedAt: 10 }) })
    const b = change(A.clone(base), (d) => { requestKernel(d, { action: 'restart', requestedBy: PEER, requestedAt: 5 }) })
    const merged = A.merge(A.clone(a), b)
    expect(A.getConflicts(merged, 'kernelRequests')).toBeUndefined() // one value, not two conflicting maps
    expect(readKernel(merged).requests.map((r) => r.action)).toEqual(['restart', 'interrupt'])
  })

  it('[N23] requests get ids and concurrent requests both survive', () => {
    // A notebook from before the map was created with it: each peer's first request creates the map.
    const base = change(createNotebook(), (d) => { delete (d as unknown as Record<string, unknown>)['kernelRequests'] })
    let idA = ''
    let idB = ''
    const a = change(A.clone(base), (d) => { idA = requestKernel(d, { action: 'interrupt', requestedBy: ALICE, requestedAt: 10 }) })
    const b = change(A.clone(base), (d) => { idB = requestKernel(d, { action: 'restart', requestedBy: PEER, requestedAt: 5, id: 'restart-1' }) })
    expect(idB).toBe('restart-1')
    expect(idA).toMatch(/^[a-zA-Z0-9-_]{16}$/)
    const merged = A.merge(A.clone(a), b)
    expect(readKernel(merged).requests).toEqual([
      { id: 'restart-1', action: 'restart', requestedBy: PEER, requestedAt: 5 },
      { id: idA, action: 'interrupt', requestedBy: ALICE, requestedAt: 10 },
    ])
    // Both maps were created concurrently: marking and pruning reach the request in the losing one too.
    const marked = change(A.clone(merged), (d) => {
      expect(markKernelRequestHandled(d, idA, { by: PEER, at: 20 })).toBe(true)
      expect(markKernelRequestHandled(d, 'restart-1', { by: PEER, at: 20 })).toBe(true)
    })
    expect(readKernel(marked).requests.every((r) => r.handledAt === 20)).toBe(true)
    expect(readKernel(change(marked, (d) => pruneKernelRequests(d, 30))).requests).toEqual([])
    expectCode(() => change(merged, (d) => requestKernel(d, { action: 'restart', requestedBy: ALICE, id: 'restart-1' })), 'INVALID_ARGUMENT')
    expectCode(() => change(merged, (d) => requestKernel(d, { action: 'explode' as never, requestedBy: ALICE })), 'INVALID_ARGUMENT')
    expectCode(() => change(merged, (d) => requestKernel(d, { action: 'restart', requestedBy: ALICE, id: 'bad id' })), 'INVALID_ARGUMENT')
  })

  it('[N24] a request is marked handled once', () => {
    let doc = change(createNotebook(), (d) => requestKernel(d, { action: 'interrupt', requestedBy: ALICE, requestedAt: 1, id: 'r1' }))
    const results: boolean[] = []
    doc = change(doc, (d) => { results.push(markKernelRequestHandled(d, 'r1', { by: PEER, at: 2, refused: 'no kernel is running' })) })
    const heads = A.getHeads(doc)
    doc = change(doc, (d) => { results.push(markKernelRequestHandled(d, 'r1', { by: PEER, at: 3 })) })
    doc = change(doc, (d) => { results.push(markKernelRequestHandled(d, 'nope', { by: PEER, at: 3 })) })
    expect(results).toEqual([true, false, false])
    expect(A.getHeads(doc)).toEqual(heads)
    expect(readKernel(doc).requests[0]).toEqual({ id: 'r1', action: 'interrupt', requestedBy: ALICE, requestedAt: 1, handledAt: 2, handledBy: PEER, refused: 'no kernel is running' })
  })

  it('[N25] pruning deletes old handled requests and junk, keeps the rest', () => {
    let doc = change(createNotebook(), (d) => {
      requestKernel(d, { action: 'interrupt', requestedBy: ALICE, requestedAt: 1, id: 'old' })
      requestKernel(d, { action: 'interrupt', requestedBy: ALICE, requestedAt: 2, id: 'recent' })
      requestKernel(d, { action: 'restart', requestedBy: ALICE, requestedAt: 3, id: 'open' })
      markKernelRequestHandled(d, 'old', { by: PEER, at: 10 })
      markKernelRequestHandled(d, 'recent', { by: PEER, at: 100 })
      ;((d as unknown as Record<string, Record<string, unknown>>)['kernelRequests']!)['junk'] = 7
    })
    let removed = 0
    doc = change(doc, (d) => { removed = pruneKernelRequests(d, 50) })
    expect(removed).toBe(2)
    expect(readKernel(doc).requests.map((r) => r.id)).toEqual(['recent', 'open'])
  })
})

describe('compute offer', () => {
  it('[N26] setComputeOffer replaces the offer and checks it', () => {
    const doc = change(createNotebook(), (d) => setComputeOffer(d, offer))
    expect(readKernel(doc).offer).toEqual(offer)
    expectCode(() => change(doc, (d) => setComputeOffer(d, { ...offer, limits: { memoryBytes: 1.5 } })), 'INVALID_ARGUMENT')
    expectCode(() => change(doc, (d) => setComputeOffer(d, { ...offer, network: 'yes' as never })), 'INVALID_ARGUMENT')
    expectCode(() => change(doc, (d) => setComputeOffer(d, { ...offer, kernels: [{ name: 'x' } as never] })), 'INVALID_ARGUMENT')
    const again = change(doc, (d) => setComputeOffer(d, { ...offer, kernels: [], updatedAt: 700 }))
    expect(readKernel(again).offer?.kernels).toEqual([])
  })
})

describe('reading the kernel area', () => {
  it('[N27] junk reads as absent with problems, never a throw', () => {
    for (const value of [null, 3, 'x', [], { kernel: 'busy', kernelRequests: [], compute: 5 }]) {
      expect(() => readKernel(value)).not.toThrow()
      const read = readKernel(value)
      expect(read.state).toBeUndefined()
      expect(read.requests).toEqual([])
      expect(read.offer).toBeUndefined()
    }
    expect(readKernel({ kernel: 'busy' }).problems.map((p) => p.path)).toEqual(['/kernel'])
    const hostile = new Proxy({}, { get() { throw new Error('boom') } })
    expect(readKernel(hostile).problems.length).toBeGreaterThan(0)
    const read = readKernel({
      kernel: { peer: PEER, spec: 'python3', status: 'idle', updatedAt: 1 },
      kernelRequests: {
        b: { action: 'restart', requestedBy: ALICE, requestedAt: 5 },
        a: { action: 'interrupt', requestedBy: ALICE, requestedAt: 5 },
        bad: { action: 'explode', requestedBy: ALICE, requestedAt: 1 },
        'no space': { action: 'restart', requestedBy: ALICE, requestedAt: 1 },
      },
    })
    expect(read.state?.status).toBe('idle')
    expect(read.requests.map((r) => r.id)).toEqual(['a', 'b'])
    expect(read.problems.map((p) => p.path).sort()).toEqual(['/kernelRequests/bad', '/kernelRequests/no space'])
  })
})

describe('display updates', () => {
  it('[N28] update_display_data replaces outputs with that display id in place', () => {
    let cellA = ''
    let cellB = ''
    let doc = change(createNotebook(), (d) => {
      cellA = insertCell(d, 0, { cellType: 'code' })
      cellB = insertCell(d, 1, { cellType: 'code' })
      appendOutput(d, cellA, { output_type: 'stream', name: 'stdout', text: 'before\n' })
      appendDisplayData(d, cellA, { output_type: 'display_data', data: { 'text/plain': '0%' }, metadata: {} }, 'progress')
      appendOutput(d, cellA, { output_type: 'stream', name: 'stdout', text: 'after\n' })
      appendDisplayData(d, cellB, { output_type: 'display_data', data: { 'text/plain': '0%' }, metadata: {} }, 'progress')
      appendDisplayData(d, cellB, { output_type: 'display_data', data: { 'text/plain': 'other' }, metadata: {} }, 'other')
    })
    let count = -1
    doc = change(doc, (d) => { count = updateDisplayData(d, 'progress', { data: { 'text/plain': '100%' }, metadata: { done: true } }) })
    expect(count).toBe(2)
    const cells = readNotebook(doc).cells
    const outputsOf = (i: number): unknown[] => (cells[i]!.cellType === 'code' ? [...cells[i]!.outputs] : [])
    expect(outputsOf(0)).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'before\n' },
      { output_type: 'display_data', data: { 'text/plain': '100%' }, metadata: { done: true } },
      { output_type: 'stream', name: 'stdout', text: 'after\n' },
    ])
    expect(outputsOf(1)).toEqual([
      { output_type: 'display_data', data: { 'text/plain': '100%' }, metadata: { done: true } },
      { output_type: 'display_data', data: { 'text/plain': 'other' }, metadata: {} },
    ])
    const heads = A.getHeads(doc)
    doc = change(doc, (d) => { count = updateDisplayData(d, 'missing', { data: { 'text/plain': 'x' }, metadata: {} }) })
    expect(count).toBe(0)
    expect(A.getHeads(doc)).toEqual(heads)
    expect(JSON.stringify(exportIpynb(doc))).not.toContain('transient')
    expectCode(() => change(doc, (d) => appendDisplayData(d, cellA, { output_type: 'display_data', data: {}, metadata: {} }, '')), 'INVALID_ARGUMENT')
  })
})
