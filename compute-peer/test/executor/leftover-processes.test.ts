/**
 * Processes a cell leaves running (a background server, a daemon in its own session, a fork bomb stopped
 * by the pids limit) on a real sandboxed ipykernel under the executor: the cell says so when it ends, and
 * an interrupt stops them while the kernel and its state survive.
 */
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requestKernel, readKernel } from '@quire/crdt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKernelLauncher } from '../../src/kernel/launcher.js'
import type { KernelLauncher } from '../../src/kernel/types.js'
import { NotebookExecutor } from '../../src/executor/notebook-executor.js'
import { ipcDirOf, pidsMentioning } from '../kernel/process-helpers.js'
import { ALICE, harness, until, type Harness } from './harness.js'

let dir: string
let launcher: KernelLauncher
let h: Harness

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quire-leftovers-'))
  launcher = await createKernelLauncher({ stateDir: join(dir, 'state') })
  h = harness()
})

afterAll(async () => {
  await h?.stop()
  await launcher?.stopAll()
  await rm(dir, { recursive: true, force: true })
})

/** Not a zombie, and not gone. */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

const SPAWN = [
  'import os, subprocess, time',
  "procs = [subprocess.Popen(['sleep', '1000'], start_new_session=True) for _ in range(5)]",
  'forked = 0',
  'for i in range(500):',
  '    try:',
  '        pid = os.fork()',
  '    except OSError:',
  '        break',
  '    if pid == 0:',
  '        os.setsid()',
  '        time.sleep(1000)',
  '        os._exit(0)',
  '    forked += 1',
  'print(len(procs), forked > 10)',
].join('\n')

describe('processes a cell leaves running', () => {
  it('[S3] [S4] the cell says so when it ends, an interrupt kills them, and the kernel keeps its state', async () => {
    const nb = h.notebook([SPAWN, 'time.sleep(60)', 'print(len(procs), forked > 10)'], { kernelspec: 'python3' })
    const executor = new NotebookExecutor({
      env: { ...h.env, launcher, limits: { processes: 64 } },
      handle: nb.handle, workdir: dir, network: () => false, isWriter: async (p) => p === ALICE,
    })
    executor.start()
    try {
      h.queue(nb.handle, nb.ids[0]!, 1)
      await until(() => h.cell(nb.handle, nb.ids[0]!).execution.status === 'done', 60_000, 'the spawning cell')
      const kernel = executor.kernel.kernel!
      const inSandbox = (): number => pidsMentioning(ipcDirOf(join(dir, 'state'), kernel)).length
      // Killed children of the kernel stay zombies until it collects them; they run nothing.
      const inSandboxRunning = (): number => pidsMentioning(ipcDirOf(join(dir, 'state'), kernel)).filter(running).length
      const outputs = h.cell(nb.handle, nb.ids[0]!).outputs
      const text = JSON.stringify(outputs)
      expect(text).toContain('5 True')
      // The sandbox's init and the kernel, plus what the cell left.
      const left = inSandbox() - 2
      expect(left, text).toBeGreaterThan(15)
      expect(text).toMatch(/\[\d+ processes started by this notebook's cells are still running; interrupt the kernel to stop them\]/)

      // An interrupt while a cell runs stops that cell and every leftover, the earlier cell's too.
      h.queue(nb.handle, nb.ids[1]!, Date.now())
      await until(() => h.cell(nb.handle, nb.ids[1]!).execution.status === 'running', 30_000, 'the sleeping cell')
      await new Promise((resolve) => setTimeout(resolve, 500))
      nb.handle.change((d) => requestKernel(d, { action: 'interrupt', requestedBy: ALICE, requestedAt: Date.now() }))
      await until(() => h.cell(nb.handle, nb.ids[1]!).execution.status === 'error', 30_000, 'the interrupt')
      expect(h.cell(nb.handle, nb.ids[1]!).outputs.at(-1), JSON.stringify(h.cell(nb.handle, nb.ids[1]!).outputs)).toMatchObject({ ename: 'KeyboardInterrupt' })
      await until(() => inSandboxRunning() === 2, 15_000, 'the leftovers to be gone')

      // The kernel (its process and its threads) survived: the first cell's variables are still there.
      h.queue(nb.handle, nb.ids[2]!, Date.now())
      await until(() => h.cell(nb.handle, nb.ids[2]!).execution.status === 'done', 30_000, 'a cell after the interrupt')
      expect(h.cell(nb.handle, nb.ids[2]!).outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '5 True\n' }])
      expect(readKernel(nb.handle.doc()).requests.every((r) => r.refused === undefined)).toBe(true)
    } finally {
      await executor.stop()
    }
  }, 180_000)
})
