/**
 * The executor on the real kernel layer (sandboxed ipykernel over ZeroMQ), in this process: interrupt,
 * restart, an error with its traceback, display updates and a kernel killed under a running cell. One
 * launcher for the file; each notebook starts its own kernel.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readKernel, requestKernel } from '@quire/crdt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKernelLauncher } from '../../src/kernel/launcher.js'
import type { KernelLauncher } from '../../src/kernel/types.js'
import { NotebookExecutor } from '../../src/executor/notebook-executor.js'
import { ALICE, harness, until, type Harness } from './harness.js'

let dir: string
let launcher: KernelLauncher
let h: Harness

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quire-executor-real-'))
  launcher = await createKernelLauncher({ stateDir: join(dir, 'state') })
  h = harness()
})

afterAll(async () => {
  await h?.stop()
  await launcher?.stopAll()
  await rm(dir, { recursive: true, force: true })
})

function start(cells: string[]): ReturnType<Harness['notebook']> & { executor: NotebookExecutor } {
  const nb = h.notebook(cells, { kernelspec: 'python3' })
  const executor = new NotebookExecutor({ env: { ...h.env, launcher }, handle: nb.handle, workdir: dir, network: () => false, isWriter: async (p) => p === ALICE })
  executor.start()
  return { ...nb, executor }
}

describe('the executor on real kernels', () => {
  it('runs, reports an error with its traceback, and interrupts a long cell on request', async () => {
    const nb = start(['x = 20\nx * 2', '1/0', 'import time\nprint("sleeping", flush=True)\ntime.sleep(30)'])
    h.queue(nb.handle, nb.ids[0]!, 1)
    await until(() => h.cell(nb.handle, nb.ids[0]!).execution.status === 'done', 30_000, 'the first cell')
    expect(h.cell(nb.handle, nb.ids[0]!).outputs).toEqual([{ output_type: 'execute_result', data: { 'text/plain': '40' }, metadata: {}, execution_count: 1 }])
    h.queue(nb.handle, nb.ids[1]!, Date.now())
    await until(() => h.cell(nb.handle, nb.ids[1]!).execution.status === 'error', 10_000, 'the error')
    const error = h.cell(nb.handle, nb.ids[1]!).outputs[0] as unknown as { ename: string; traceback: string[] }
    expect(error.ename).toBe('ZeroDivisionError')
    // Tracebacks keep the kernel's ANSI colours, as in Jupyter.
    expect(error.traceback.join('\n').replace(/\x1b\[[0-9;]*m/g, '')).toContain('----> 1 1/0')
    h.queue(nb.handle, nb.ids[2]!, Date.now())
    await until(() => h.cell(nb.handle, nb.ids[2]!).outputs.length > 0, 10_000, 'the long cell to print')
    nb.handle.change((d) => requestKernel(d, { action: 'interrupt', requestedBy: ALICE, requestedAt: Date.now() }))
    await until(() => h.cell(nb.handle, nb.ids[2]!).execution.status === 'error', 10_000, 'the interrupt')
    expect(h.cell(nb.handle, nb.ids[2]!).outputs.at(-1)).toMatchObject({ output_type: 'error', ename: 'KeyboardInterrupt' })
    // The kernel survived the interrupt: its state is still there.
    h.queue(nb.handle, nb.ids[0]!, Date.now())
    await until(() => h.cell(nb.handle, nb.ids[0]!).executionCount === 4, 10_000, 'a run after the interrupt')
    await nb.executor.stop()
  })

  it('restarts on request (state is gone after it) and updates a display in place', async () => {
    const nb = start(['y = 1\nfrom IPython.display import display\nh = display("0%", display_id=True)', 'h.update("100%")', 'y'])
    h.queue(nb.handle, nb.ids[0]!, 1)
    h.queue(nb.handle, nb.ids[1]!, 2)
    await until(() => h.cell(nb.handle, nb.ids[1]!).execution.status === 'done', 30_000, 'the display cells')
    expect(h.cell(nb.handle, nb.ids[0]!).outputs).toEqual([{ output_type: 'display_data', data: { 'text/plain': "'100%'" }, metadata: {} }])
    nb.handle.change((d) => requestKernel(d, { action: 'restart', requestedBy: ALICE, requestedAt: Date.now() }))
    await until(() => readKernel(nb.handle.doc()).requests.every((r) => r.handledAt !== undefined), 10_000, 'the restart to be handled')
    await until(() => readKernel(nb.handle.doc()).state?.status === 'idle', 20_000, 'the kernel to be back')
    h.queue(nb.handle, nb.ids[2]!, Date.now())
    await until(() => h.cell(nb.handle, nb.ids[2]!).execution.status === 'error', 20_000, 'y to be undefined')
    expect(h.cell(nb.handle, nb.ids[2]!).outputs[0]).toMatchObject({ ename: 'NameError' })
    await nb.executor.stop()
  })

  it('marks the running cell and the kernel area when the kernel dies under it', async () => {
    const nb = start(['import os, signal\nos.kill(os.getpid(), signal.SIGKILL)'])
    h.queue(nb.handle, nb.ids[0]!, 1)
    await until(() => h.cell(nb.handle, nb.ids[0]!).execution.status === 'error', 30_000, 'the death')
    const outputs = h.cell(nb.handle, nb.ids[0]!).outputs
    const state = readKernel(nb.handle.doc()).state
    expect(state?.status).toBe('dead')
    expect(state?.message, JSON.stringify(outputs)).toBeTruthy()
    // The cell says why, in the same words as the kernel area.
    expect(outputs.at(-1), JSON.stringify(outputs)).toMatchObject({ output_type: 'error', evalue: state?.message })
    await nb.executor.stop()
  })
})
