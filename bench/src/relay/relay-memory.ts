import { rssBytes, sleep } from '../lib/proc.js'
import { startServer, startWorker, stopAll, withTempDir, type ServerStack, type ServerUnderTest, type Worker } from './harness.js'

export interface MemoryResult {
  documents: number
  touched: number
  uploadSeconds: number
  /** Times the upload made no progress for 20 s and the uploader reconnected. */
  uploadStalls: number
  /** Server RSS (bytes) and documents in memory at each step. */
  steps: Array<{ step: string; rss: number; loaded: number }>
}

export interface MemoryOptions {
  documents: number
  touched: number
  /** Relay `--idle-unload-ms` (the stock server never unloads). */
  idleUnloadMs: number
  corpus: string
}

/**
 * Hosting many documents: one client uploads `documents` text documents (1 to 3 KB of real prose each),
 * each acknowledged by the server; the server is restarted on its data (idle: everything hosted, nothing
 * asked for); a fresh client opens and changes `touched` of them at random; that client leaves and the
 * server is given its idle-unload time. The server's RSS (VmRSS of its process) is read at each step.
 */
export async function relayMemory(stack: ServerStack, options: MemoryOptions): Promise<MemoryResult> {
  return withTempDir('quire-bench-mem-', async (dir) => {
    const steps: MemoryResult['steps'] = []
    let server: ServerUnderTest | undefined
    const workers: Worker[] = []
    const note = async (step: string): Promise<void> => {
      steps.push({ step, rss: rssBytes(server!.pid), loaded: await server!.loaded() })
    }
    const client = async (): Promise<Worker> => {
      const w = await startWorker()
      workers.push(w)
      await w.proc.request('start', { kind: stack.kind, names: ['c0'], server: server!.address, serverPeerId: server!.peerId })
      await w.proc.request('connect', undefined, { timeout: 90_000 })
      return w
    }
    const leave = async (w: Worker): Promise<void> => {
      await w.proc.request('stopAll', undefined, { timeout: 30_000 }).catch(() => {})
      await w.proc.stop(5_000)
      workers.splice(workers.indexOf(w), 1)
    }
    try {
      server = await startServer(stack.kind, dir, { idleUnloadMs: options.idleUnloadMs })
      await sleep(1000)
      await note('empty, just started')
      const uploader = await client()
      const started = performance.now()
      const { urls, stalls } = await uploader.proc.request('upload', { count: options.documents, corpus: options.corpus, batch: 250 }, { timeout: 1_800_000 })
      const uploadSeconds = (performance.now() - started) / 1000
      await note(`${options.documents} documents uploaded, uploader connected`)
      await leave(uploader)
      await sleep(2000)
      await note('uploader gone (2 s later)')
      await server.stop()
      server = await startServer(stack.kind, dir, { idleUnloadMs: options.idleUnloadMs })
      await sleep(2000)
      await note('restarted on its data, idle (2 s later)')
      // A fixed pseudo-random sample, the same for both stacks.
      const sample = shuffled(urls, 42).slice(0, options.touched)
      const toucher = await client()
      await toucher.proc.request('touch', { urls: sample, concurrency: 20 }, { timeout: 600_000 })
      await note(`${options.touched} opened and changed, client connected`)
      await leave(toucher)
      await sleep(options.idleUnloadMs + 2000)
      await note(`client gone (${((options.idleUnloadMs + 2000) / 1000).toFixed(0)} s later)`)
      return { documents: options.documents, touched: options.touched, uploadSeconds, uploadStalls: stalls, steps }
    } finally {
      await stopAll(workers, server)
    }
  })
}

function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0
  const random = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}
