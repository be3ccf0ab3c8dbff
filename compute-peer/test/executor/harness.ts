/** A notebook in an in-memory repo, an executor on a fake kernel, and helpers to queue and wait. */
import { Repo, type DocHandle } from '@automerge/automerge-repo'
import { MemoryLevel } from 'memory-level'
import { BlobStore } from '@quire/node'
import { createNotebook, insertCell, readKernel, readNotebook, setExecutionState, type CodeCellRead, type NotebookDoc } from '@quire/crdt'
import { KernelSlots } from '../../src/executor/kernel-slots.js'
import { NotebookExecutor } from '../../src/executor/notebook-executor.js'
import type { ExecutorEnvironment } from '../../src/executor/types.js'
import { FakeLauncher } from './fake-kernel.js'

export const ALICE = '12D3KooWAliceWriterPeerIdForTests'
export const READER = '12D3KooWReaderPeerIdForTests'
export const COMPUTE = '12D3KooWComputePeerIdForTests'

export interface Harness {
  repo: Repo
  launcher: FakeLauncher
  blobs: BlobStore
  env: ExecutorEnvironment
  logs: string[]
  notebook(cells: string[], options?: { kernelspec?: string }): { handle: DocHandle<NotebookDoc>; ids: string[] }
  executor(handle: DocHandle<NotebookDoc>): NotebookExecutor
  queue(handle: DocHandle<NotebookDoc>, id: string, requestedAt: number, requestedBy?: string): void
  cell(handle: DocHandle<NotebookDoc>, id: string): CodeCellRead
  stop(): Promise<void>
}

export function harness(options: { idleTimeoutMs?: number; maxKernels?: number; flushMs?: number; writerGraceMs?: number } = {}): Harness {
  const repo = new Repo({ network: [] })
  const launcher = new FakeLauncher()
  const blobs = new BlobStore(new MemoryLevel<string, Uint8Array>())
  const logs: string[] = []
  const env: ExecutorEnvironment = {
    peerId: COMPUTE,
    launcher,
    slots: new KernelSlots(options.maxKernels ?? 4),
    blobs,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    flushMs: options.flushMs ?? 50,
    writerGraceMs: options.writerGraceMs ?? 100,
    log: (line) => logs.push(line),
  }
  const executors: NotebookExecutor[] = []
  return {
    repo, launcher, blobs, env, logs,
    notebook(cells, opts = {}) {
      const initial = createNotebook(opts.kernelspec === undefined ? {} : { kernelspec: { name: opts.kernelspec, display_name: opts.kernelspec } })
      const handle = repo.create<NotebookDoc>(initial)
      const ids: string[] = []
      handle.change((d) => { cells.forEach((source, i) => ids.push(insertCell(d, i, { cellType: 'code', source }))) })
      return { handle, ids }
    },
    executor(handle) {
      const ex = new NotebookExecutor({ env, handle, workdir: '/tmp', network: () => false, isWriter: async (peer) => peer === ALICE || peer === COMPUTE })
      executors.push(ex)
      ex.start()
      return ex
    },
    queue(handle, id, requestedAt, requestedBy = ALICE) {
      handle.change((d) => setExecutionState(d, id, { status: 'queued', requestedBy, requestedAt }))
    },
    cell(handle, id) {
      const cell = readNotebook(handle.doc()).cells.find((c) => c.id === id)
      if (cell?.cellType !== 'code') throw new Error(`no code cell ${id}`)
      return cell
    },
    async stop() {
      await Promise.all(executors.map((e) => e.stop()))
      await repo.shutdown()
    },
  }
}

/** Polls `predicate` until it holds (or fails the test after `timeoutMs`). */
export async function until(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export const kernelStatus = (handle: DocHandle<NotebookDoc>): string | undefined => readKernel(handle.doc()).state?.status
export const kernelMessage = (handle: DocHandle<NotebookDoc>): string | undefined => readKernel(handle.doc()).state?.message
