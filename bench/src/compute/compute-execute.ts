/**
 * `compute execute` (issue 7): a notebook cell run through the documents (a member queues it in its copy of
 * the notebook; the `quire-compute` daemon, a child process, sees it, runs it on a sandboxed kernel and
 * writes the output back; the member's copy receives it) against the same kernel kind driven directly over
 * ZeroMQ from this process (`startTestKernel`, `executeCollect`). Every time is on this process's clock.
 */
import type { DocHandle } from '@automerge/automerge-repo'
import type { NotebookDoc } from '@quire/crdt'
import { executeCollect, startTestKernel, type TestKernel } from '@quire/compute-peer/testing'
import { wallNow } from '../lib/proc.js'
import { PYTHON, SAGE, startComputeSetup, type ComputeSetup, type KernelChoice } from './requester.js'

/** Latency percentiles in ms (nearest rank, so every figure is a run that happened). */
export interface Percentiles {
  readonly count: number
  readonly median: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN
  return { count: sorted.length, median: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: sorted[sorted.length - 1] ?? NaN }
}

export interface ColdStart {
  readonly kernel: string
  readonly code: string
  /** Through the documents: the queuing of the first cell of a new notebook to its first output / to `done`. */
  readonly documentOutputMs: number
  readonly documentDoneMs: number
  /** Directly: the kernel's start (sandbox, ZeroMQ, kernel_info), and start plus the first execute. */
  readonly directStartMs: number
  readonly directFirstResultMs: number
}

export interface ComputeExecuteResult {
  /** `1+1` on a warm kernel: queuing to the compute peer's `running` state in our copy (pick-up). */
  readonly documentRunning: Percentiles
  /** `1+1` on a warm kernel: queuing to the output in our copy of the notebook. */
  readonly documentOutput: Percentiles
  /** The same, to the cell's `done` state in our copy (written after the output). */
  readonly documentDone: Percentiles
  /** The daemon's own pick-up to `done` for those runs (its `finishedAt - startedAt`). */
  readonly inside: Percentiles
  /** `1+1` sent over ZeroMQ to a warm kernel: request to reply and idle status. */
  readonly direct: Percentiles
  readonly cold: ColdStart[]
  readonly kernels: readonly string[]
}

export interface ComputeExecuteOptions {
  /** Measured `1+1` runs on each side (after 10 warm-up runs). */
  readonly runs: number
  /** Cold starts of a Python kernel on each side. */
  readonly pythonColdStarts: number
  /** Cold starts of a Sage kernel on each side (when the `sagemath` kernelspec is installed). */
  readonly sageColdStarts: number
}

const SAGE_CODE = 'factor(2^64+1)'

export async function computeExecute(options: ComputeExecuteOptions): Promise<ComputeExecuteResult> {
  const setup = await startComputeSetup({ maxKernels: options.pythonColdStarts + options.sageColdStarts + 1 })
  let direct: TestKernel | undefined
  try {
    const kernels = setup.compute.info.kernels
    const cold: ColdStart[] = []
    // The first cell of the first notebook starts the first kernel: a cold start, then this notebook's
    // kernel stays warm for the latency runs.
    const warm = await setup.newNotebook(PYTHON, 'warm.ipynb')
    cold.push(await coldStart(setup, PYTHON, '1+1', warm))
    for (let i = 1; i < options.pythonColdStarts; i++) cold.push(await coldStart(setup, PYTHON, '1+1'))

    direct = await startTestKernel({ specName: 'python3' })
    for (let i = 0; i < 10; i++) {
      await setup.run(warm, '1+1')
      await executeCollect(direct.kernel, '1+1')
    }
    // Alternating, one run of each at a time, so both sides see the same moments of this shared machine.
    const documentRunning: number[] = []
    const documentOutput: number[] = []
    const documentDone: number[] = []
    const inside: number[] = []
    const directMs: number[] = []
    for (let i = 0; i < options.runs; i++) {
      const r = await setup.run(warm, '1+1')
      if (!r.output.includes('"2"')) throw new Error(`1+1 gave ${r.output}`)
      documentRunning.push(r.runningMs)
      documentOutput.push(r.outputMs)
      documentDone.push(r.doneMs)
      inside.push(r.insideMs)
      const t = wallNow()
      const d = await executeCollect(direct.kernel, '1+1')
      directMs.push(wallNow() - t)
      if (d.reply.status !== 'ok') throw new Error(`direct 1+1 failed: ${JSON.stringify(d.reply)}`)
    }
    await direct.dispose()
    direct = undefined

    if (kernels.includes(SAGE.name)) {
      for (let i = 0; i < options.sageColdStarts; i++) cold.push(await coldStart(setup, SAGE, SAGE_CODE))
    }
    return {
      documentRunning: percentiles(documentRunning),
      documentOutput: percentiles(documentOutput),
      documentDone: percentiles(documentDone),
      inside: percentiles(inside),
      direct: percentiles(directMs),
      cold,
      kernels,
    }
  } finally {
    await direct?.dispose()
    await setup.stop()
  }
}

/** One cold start on each side: a new notebook's first cell through the daemon, then a new kernel directly. */
async function coldStart(setup: ComputeSetup, kernel: KernelChoice, code: string, notebook?: DocHandle<NotebookDoc>): Promise<ColdStart> {
  const nb = notebook ?? await setup.newNotebook(kernel, `cold-${kernel.name}-${Math.random().toString(36).slice(2)}.ipynb`)
  const timeoutMs = kernel === SAGE ? 180_000 : 90_000
  const doc = await setup.run(nb, code, timeoutMs)
  const began = wallNow()
  const tk = await startTestKernel({ specName: kernel.name, startTimeoutMs: timeoutMs })
  try {
    const started = wallNow()
    const first = await executeCollect(tk.kernel, code)
    const done = wallNow()
    if (first.reply.status !== 'ok') throw new Error(`direct ${code} failed on ${kernel.name}: ${JSON.stringify(first.reply)}`)
    return {
      kernel: kernel.name,
      code,
      documentOutputMs: doc.outputMs,
      documentDoneMs: doc.doneMs,
      directStartMs: started - began,
      directFirstResultMs: done - began,
    }
  } finally {
    await tk.dispose()
  }
}
