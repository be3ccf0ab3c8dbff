import * as A from '@automerge/automerge'
import { readKernel, requestKernel, setExecutionState } from '@quire/crdt'
import { afterEach, describe, expect, it } from 'vitest'
import { ALICE, COMPUTE, READER, harness, kernelMessage, kernelStatus, until, type Harness } from './harness.js'
import { PNG_BASE64 } from './fake-kernel.js'
import { NotebookExecutor } from '../../src/executor/notebook-executor.js'

let h: Harness
afterEach(async () => { await h.stop() })

describe('running queued cells', () => {
  it('runs cells by request time, then by place, and writes outputs, counts and states', async () => {
    h = harness()
    const { handle, ids } = h.notebook(['print a\nresult 1', 'print b', 'print c\nresult 3'])
    h.queue(handle, ids[2]!, 100)
    h.queue(handle, ids[1]!, 200)
    h.queue(handle, ids[0]!, 100)
    const ex = h.executor(handle)
    await until(() => ids.every((id) => h.cell(handle, id).execution.status === 'done'), 5000, 'all done')
    await ex.idle()
    expect(h.launcher.started).toHaveLength(1)
    expect(h.launcher.started[0]!.executed).toEqual(['print a\nresult 1', 'print c\nresult 3', 'print b'])
    const first = h.cell(handle, ids[0]!)
    expect(first.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'a\n' },
      { output_type: 'execute_result', data: { 'text/plain': '1' }, metadata: {}, execution_count: 1 },
    ])
    expect(first.executionCount).toBe(1)
    expect(h.cell(handle, ids[1]!).executionCount).toBe(3)
    expect(first.execution).toMatchObject({ status: 'done', requestedBy: ALICE, requestedAt: 100 })
    expect(first.execution.startedAt).toBeGreaterThan(0)
    expect(first.execution.finishedAt).toBeGreaterThanOrEqual(first.execution.startedAt!)
    expect(readKernel(handle.doc()).state).toMatchObject({ peer: COMPUTE, spec: 'python3', status: 'idle' })
  })

  it('starts the kernel lazily, with the notebook kernelspec, writing progress into the kernel area', async () => {
    h = harness()
    const { handle, ids } = h.notebook(['print x'], { kernelspec: 'other' })
    const messages: string[] = []
    handle.on('change', () => { const m = kernelMessage(handle); if (m !== undefined && messages.at(-1) !== m) messages.push(m) })
    h.executor(handle)
    await new Promise((r) => setTimeout(r, 50))
    expect(h.launcher.started).toHaveLength(0)
    h.queue(handle, ids[0]!, 1)
    await until(() => h.cell(handle, ids[0]!).execution.status === 'done')
    expect(h.launcher.started[0]!.spec.name).toBe('other')
    expect(messages).toEqual(['starting other', 'starting fake kernel'])
  })

  it('coalesces a flood of stream output into a few changes and one output', async () => {
    h = harness({ flushMs: 100 })
    const { handle, ids } = h.notebook(['spam 2000\nsleep 250\nspam 1000'])
    const before = A.getAllChanges(handle.doc()).length
    h.queue(handle, ids[0]!, 1)
    h.executor(handle)
    await until(() => h.cell(handle, ids[0]!).execution.status === 'done')
    const outputs = h.cell(handle, ids[0]!).outputs
    expect(outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'x'.repeat(3000) }])
    const changes = A.getAllChanges(handle.doc()).length - before
    // queue, running, kernel states, a few flushes, done: far fewer than 3,000.
    expect(changes).toBeLessThan(15)
  })

  it('stores images as blobs and references them from the output', async () => {
    h = harness()
    const { handle, ids } = h.notebook(['png'])
    h.queue(handle, ids[0]!, 1)
    h.executor(handle)
    await until(() => h.cell(handle, ids[0]!).execution.status === 'done')
    const [output] = h.cell(handle, ids[0]!).outputs
    expect(output?.output_type).toBe('display_data')
    const ref = (output as { data: Record<string, unknown> }).data['image/png'] as { blob: string; size: number; mime: string }
    const bytes = Buffer.from(PNG_BASE64, 'base64')
    expect(ref).toMatchObject({ size: bytes.byteLength, mime: 'image/png' })
    expect(Buffer.from((await h.blobs.get(ref.blob))!)).toEqual(bytes)
    expect((output as { data: Record<string, unknown> }).data['text/plain']).toBe('<Figure>')
  })

  it('handles clear_output (also with wait) and update_display_data', async () => {
    h = harness()
    const { handle, ids } = h.notebook(['print gone\nclear\nprint one\nclearwait\nsleep 80\nprint two\ndisplay bar 0%', 'update bar 100%'])
    h.queue(handle, ids[0]!, 1)
    h.queue(handle, ids[1]!, 2)
    h.executor(handle)
    await until(() => h.cell(handle, ids[1]!).execution.status === 'done')
    expect(h.cell(handle, ids[0]!).outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'two\n' },
      { output_type: 'display_data', data: { 'text/plain': '100%' }, metadata: {} },
    ])
    expect(h.cell(handle, ids[1]!).outputs).toEqual([])
  })

  it('marks an error with its traceback and does not run the cells queued with it', async () => {
    h = harness()
    const { handle, ids } = h.notebook(['error ValueError bad', 'print skipped', 'sleep 100\nprint later'])
    h.queue(handle, ids[0]!, 10)
    h.queue(handle, ids[1]!, 10)
    const ex = h.executor(handle)
    await until(() => h.cell(handle, ids[0]!).execution.status === 'error')
    await ex.idle()
    expect(h.cell(handle, ids[0]!).outputs).toEqual([{ output_type: 'error', ename: 'ValueError', evalue: 'bad', traceback: ['ValueError: bad'] }])
    expect(h.cell(handle, ids[1]!).execution.status).toBe('idle')
    h.queue(handle, ids[1]!, Date.now())
    await until(() => h.cell(handle, ids[1]!).execution.status === 'done')
  })

  it('does not run a cell queued by a peer that is not a writer', async () => {
    h = harness()
    const { handle, ids } = h.notebook(['print secret', 'print ok'])
    h.queue(handle, ids[0]!, 1, READER)
    h.queue(handle, ids[1]!, 2)
    h.executor(handle)
    await until(() => h.cell(handle, ids[1]!).execution.status === 'done')
    await until(() => h.cell(handle, ids[0]!).execution.status === 'error', 3000, 'the refusal after the grace period')
    const refused = h.cell(handle, ids[0]!)
    expect(refused.execution.status).toBe('error')
    expect(refused.outputs[0]).toMatchObject({ output_type: 'error', ename: 'NotAllowed' })
    expect(h.launcher.started[0]!.executed).toEqual(['print ok'])
  })

  it('waits for the grant of a new writer whose cell arrived first', async () => {
    h = harness({ writerGraceMs: 5000 })
    const { handle, ids } = h.notebook(['print hello'])
    let writers = new Set<string>()
    const ex = new NotebookExecutor({ env: h.env, handle, workdir: '/tmp', network: () => false, isWriter: async (p) => writers.has(p) })
    ex.start()
    h.queue(handle, ids[0]!, 1, READER)
    await new Promise((r) => setTimeout(r, 300))
    expect(h.cell(handle, ids[0]!).execution.status).toBe('queued')
    writers = new Set([READER])
    await until(() => h.cell(handle, ids[0]!).execution.status === 'done', 3000, 'the cell once its requester is a writer')
    await ex.stop()
  })
})

describe('kernel requests and failures', () => {
  it('honours an interrupt request once, and cancels the cells queued before it', async () => {
    h = harness()
    const { handle, ids } = h.notebook(['print start\nsleep 10000', 'print never'])
    h.queue(handle, ids[0]!, 1)
    h.queue(handle, ids[1]!, 2)
    h.executor(handle)
    await until(() => h.cell(handle, ids[0]!).outputs.length > 0)
    handle.change((d) => requestKernel(d, { action: 'interrupt', requestedBy: ALICE, requestedAt: Date.now(), id: 'stop1' }))
    await until(() => h.cell(handle, ids[0]!).execution.status === 'error')
    expect(h.cell(handle, ids[0]!).outputs.at(-1)).toMatchObject({ ename: 'KeyboardInterrupt' })
    expect(h.cell(handle, ids[1]!).execution.status).toBe('idle')
    const request = readKernel(handle.doc()).requests.find((r) => r.id === 'stop1')
    expect(request).toMatchObject({ handledBy: COMPUTE })
    expect(request?.refused).toBeUndefined()
  })

  it('honours a restart request: the running cell is aborted and the kernel keeps serving', async () => {
    h = harness()
    const { handle, ids } = h.notebook(['sleep 10000', 'print after'])
    h.queue(handle, ids[0]!, 1)
    h.executor(handle)
    await until(() => h.cell(handle, ids[0]!).execution.status === 'running' && h.launcher.started.length === 1)
    await until(() => h.launcher.started[0]!.status === 'busy')
    handle.change((d) => requestKernel(d, { action: 'restart', requestedBy: ALICE, requestedAt: Date.now() }))
    await until(() => h.cell(handle, ids[0]!).execution.status === 'error')
    expect(h.cell(handle, ids[0]!).outputs).toEqual([{ output_type: 'error', ename: 'Aborted', evalue: 'the kernel was restarted', traceback: [] }])
    h.queue(handle, ids[1]!, Date.now() + 1)
    await until(() => h.cell(handle, ids[1]!).execution.status === 'done')
    expect(h.launcher.started).toHaveLength(1)
    expect(h.cell(handle, ids[1]!).executionCount).toBe(1)
    expect(kernelStatus(handle)).toBe('idle')
  })

  it('refuses requests of non-writers and answers a request with no kernel', async () => {
    h = harness()
    const { handle } = h.notebook(['print x'])
    h.executor(handle)
    handle.change((d) => {
      requestKernel(d, { action: 'restart', requestedBy: READER, requestedAt: 1, id: 'r' })
      requestKernel(d, { action: 'interrupt', requestedBy: ALICE, requestedAt: 2, id: 'i' })
    })
    await until(() => readKernel(handle.doc()).requests.every((r) => r.handledAt !== undefined))
    const [r, i] = readKernel(handle.doc()).requests
    expect(r!.refused).toMatch(/not a writer/)
    expect(i!.refused).toBe('nothing was running')
    expect(h.launcher.started).toHaveLength(0)
  })

  it('marks the running cell with the reason a kernel died, and starts a new kernel for the next cell', async () => {
    h = harness()
    const { handle, ids } = h.notebook(['print before\ndie killed: out of memory', 'print next'])
    h.queue(handle, ids[0]!, 1)
    h.executor(handle)
    await until(() => h.cell(handle, ids[0]!).execution.status === 'error')
    expect(h.cell(handle, ids[0]!).outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'before\n' },
      { output_type: 'error', ename: 'Aborted', evalue: 'killed: out of memory', traceback: [] },
    ])
    expect(readKernel(handle.doc()).state).toMatchObject({ status: 'dead', message: 'killed: out of memory' })
    h.queue(handle, ids[1]!, Date.now())
    await until(() => h.cell(handle, ids[1]!).execution.status === 'done')
    expect(h.launcher.started).toHaveLength(2)
  })

  it('marks the cell and the kernel area when the kernel cannot start', async () => {
    h = harness()
    const { handle, ids } = h.notebook(['print x'])
    h.launcher.failNext = 'no such kernelspec'
    h.queue(handle, ids[0]!, 1)
    h.executor(handle)
    await until(() => h.cell(handle, ids[0]!).execution.status === 'error')
    expect(h.cell(handle, ids[0]!).outputs[0]).toMatchObject({ output_type: 'error', evalue: 'no such kernelspec' })
    expect(kernelMessage(handle)).toBe('could not start python3: no such kernelspec')
  })

  it('stops an idle kernel after the timeout', async () => {
    h = harness({ idleTimeoutMs: 100 })
    const { handle, ids } = h.notebook(['print x'])
    h.queue(handle, ids[0]!, 1)
    h.executor(handle)
    await until(() => h.cell(handle, ids[0]!).execution.status === 'done')
    expect(h.launcher.alive).toHaveLength(1)
    await until(() => h.launcher.alive.length === 0, 2000, 'idle shutdown')
    expect(kernelStatus(handle)).toBe('dead')
    expect(kernelMessage(handle)).toMatch(/without work/)
    expect(h.env.slots.used).toBe(0)
  })

  it('gives the kernel slot of an idle notebook to another one when all are taken', async () => {
    h = harness({ maxKernels: 1 })
    const a = h.notebook(['print a'])
    const b = h.notebook(['print b'])
    h.executor(a.handle)
    h.executor(b.handle)
    h.queue(a.handle, a.ids[0]!, 1)
    await until(() => h.cell(a.handle, a.ids[0]!).execution.status === 'done')
    h.queue(b.handle, b.ids[0]!, 2)
    await until(() => h.cell(b.handle, b.ids[0]!).execution.status === 'done')
    expect(h.launcher.alive).toHaveLength(1)
    expect(kernelMessage(a.handle)).toMatch(/make room/)
  })

  it('after a restart of the compute peer, marks running cells as errors and runs queued ones', async () => {
    h = harness()
    const { handle, ids } = h.notebook(['print was running', 'print queued'])
    handle.change((d) => {
      setExecutionState(d, ids[0]!, { status: 'running', requestedBy: ALICE, requestedAt: 1, startedAt: 2 })
      setExecutionState(d, ids[1]!, { status: 'queued', requestedBy: ALICE, requestedAt: 3 })
    })
    h.executor(handle)
    await until(() => h.cell(handle, ids[1]!).execution.status === 'done')
    expect(h.cell(handle, ids[0]!).execution).toMatchObject({ status: 'error', startedAt: 2 })
    expect(h.cell(handle, ids[0]!).outputs[0]).toMatchObject({ ename: 'ComputePeerRestarted' })
    expect(h.launcher.started[0]!.executed).toEqual(['print queued'])
  })
})
