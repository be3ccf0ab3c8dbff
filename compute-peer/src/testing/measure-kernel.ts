import { pathToFileURL } from 'node:url'
import { executeCollect, startTestKernel, type StartTestKernelOptions } from './kernels.js'

/** Timings of the kernel layer alone (sandboxed kernel, ZeroMQ, no documents), in milliseconds. */
export interface KernelMeasurement {
  readonly startMs: number
  /** Round trip of a trivial cell (`1+1`): request sent to reply and idle status received. */
  readonly executeMs: { readonly median: number; readonly p90: number; readonly min: number; readonly max: number }
  readonly iterations: number
  /** Time to stream `lines` lines of stdout from one cell. */
  readonly streamMs: number
  readonly lines: number
}

/**
 * Starts a sandboxed kernel in a temporary directory and measures start, trivial execute round trips and
 * output streaming: the baseline the notebook-through-the-document benchmark compares against.
 */
export async function measureKernel(
  options: StartTestKernelOptions & { iterations?: number; lines?: number } = {},
): Promise<KernelMeasurement> {
  const { iterations = 200, lines = 1000, ...start } = options
  const began = performance.now()
  const tk = await startTestKernel(start)
  const startMs = performance.now() - began
  try {
    for (let i = 0; i < 10; i++) await executeCollect(tk.kernel, '1+1') // warm up
    const times: number[] = []
    for (let i = 0; i < iterations; i++) {
      const t = performance.now()
      await executeCollect(tk.kernel, '1+1')
      times.push(performance.now() - t)
    }
    times.sort((a, b) => a - b)
    const t = performance.now()
    const streamed = await executeCollect(tk.kernel, `for i in range(${lines}):\n    print(i)`)
    const streamMs = performance.now() - t
    if (streamed.stdout.split('\n').length !== lines + 1) throw new Error('streaming lost output')
    const at = (q: number) => round(times[Math.min(times.length - 1, Math.floor(q * times.length))]!)
    return {
      startMs: round(startMs),
      executeMs: { median: at(0.5), p90: at(0.9), min: round(times[0]!), max: round(times[times.length - 1]!) },
      iterations,
      streamMs: round(streamMs),
      lines,
    }
  } finally {
    await tk.dispose()
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100

// `node compute-peer/dist/testing/measure-kernel.js [specName]` prints one measurement as JSON.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const specName = process.argv[2] ?? 'python3'
  console.log(JSON.stringify({ specName, ...(await measureKernel({ specName })) }, null, 2))
}
