import { writeFileSync } from 'node:fs'
import { summarize, type Summary } from '../lib/stats.js'
import { cpuSeconds, rssBytes, sleep, wallNow } from '../lib/proc.js'
import { split, startServer, startWorker, stopAll, withTempDir, type ServerStack, type ServerUnderTest, type Worker } from './harness.js'

export interface TypistsResult {
  writers: number
  processes: number
  seconds: number
  keystrokes: number
  /** Keystroke to arrival at each other writer: one sample per (keystroke, other writer). */
  latency: Summary
  /** Samples expected that never arrived within the drain time. */
  missing: number
  /** The server's CPU over the typing window, in percent of one core. */
  serverCpuPercent: number
  /** The worker processes' CPU over the typing window, in percent of one core, all together. */
  clientsCpuPercent: number
  serverRss: number
  /** Largest clock offset measured between this process and a worker (ms), corrected for. */
  maxClockOffsetMs: number
}

/**
 * `writers` typists, `perProcess` to a worker process, all connected only to the server, each typing
 * `rateHz` characters a second into its own text field of one shared document for `durationMs`. Each
 * sample is the time from a keystroke (the local change) to the moment another writer's handle holds it,
 * on one clock: every process reads `performance.timeOrigin + performance.now()`, and each worker's
 * measured offset from the parent is subtracted. Typing starts `warmupMs` (default 2 s) before the measured
 * window, whose keystrokes alone are sampled, for both stacks alike.
 */
export async function relayTypists(stack: ServerStack, writers: number, durationMs: number, options: { rateHz?: number; perProcess?: number; warmupMs?: number } = {}): Promise<TypistsResult> {
  const rateHz = options.rateHz ?? 6
  const perProcess = options.perProcess ?? 8
  const warmupMs = options.warmupMs ?? 2000
  return withTempDir('quire-bench-typists-', async (dir) => {
    let server: ServerUnderTest | undefined
    const workers: Worker[] = []
    try {
      server = await startServer(stack.kind, dir)
      const names = Array.from({ length: writers }, (_, i) => `w${i}`)
      const groups = split(names, Math.ceil(writers / perProcess))
      workers.push(...await Promise.all(groups.map(() => startWorker())))
      await Promise.all(workers.map((w, i) => w.proc.request('start', { kind: stack.kind, names: groups[i]!, server: server!.address, serverPeerId: server!.peerId }, { timeout: 60_000 })))
      await Promise.all(workers.map((w) => w.proc.request('connect', undefined, { timeout: 90_000 })))
      const url = await workers[0]!.proc.request('createTypingDoc', { writers: names })
      await Promise.all(workers.map((w) => w.proc.request('openTypingDoc', { url }, { timeout: 90_000 })))
      // Everyone types from typingAt; keystrokes of the warm-up (a freshly started server's first typing runs
      // cold code: JIT, first sync states) are not sampled, and CPU is measured from startAt on.
      const typingAt = wallNow() + 1000
      const startAt = typingAt + warmupMs
      await Promise.all(workers.map((w) => w.proc.request('type', { startAt: typingAt + w.offsetMs, rateHz, durationMs: warmupMs + durationMs })))
      await sleep(startAt - wallNow())
      const cpuBefore = cpuSeconds(server.pid)
      const clientsBefore = workers.reduce((t, w) => t + cpuSeconds(w.proc.pid), 0)
      await sleep(startAt - wallNow() + durationMs)
      const cpuAfter = cpuSeconds(server.pid)
      const clientsAfter = workers.reduce((t, w) => t + cpuSeconds(w.proc.pid), 0)
      await sleep(3000) // drain: late keystrokes still count; later ones are reported missing
      if (process.env['QUIRE_BENCH_METRICS'] === '1' && server.metrics) {
        const text = await server.metrics()
        console.error(text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).join('\n'))
      }
      const serverRss = rssBytes(server.pid)
      const records = await Promise.all(workers.map((w) => w.proc.request('collect', undefined, { timeout: 60_000 })))
      const sent = new Map<string, number[]>()
      for (const [i, r] of records.entries()) {
        // The k-th keystroke keeps its index k (arrivals are recorded by index); warm-up ones are skipped below.
        for (const [writer, times] of Object.entries(r.sent)) sent.set(writer, times.map((t) => t - workers[i]!.offsetMs))
      }
      const samples: number[] = []
      const dump: Array<[number, number, string, string]> = []
      let missing = 0
      for (const [i, r] of records.entries()) {
        for (const [receiver, byWriter] of Object.entries(r.arrived)) {
          for (const [writer, times] of sent) {
            if (writer === receiver) continue
            const arrived = byWriter[writer] ?? []
            for (const [k, t] of times.entries()) {
              if (t < startAt) continue
              const at = arrived[k]
              if (at === undefined) missing++
              else {
                samples.push(at - workers[i]!.offsetMs - t)
                dump.push([t - startAt, at - workers[i]!.offsetMs - t, receiver, writer])
              }
            }
          }
        }
      }
      if (process.env['QUIRE_BENCH_DUMP'] !== undefined) writeFileSync(`${process.env['QUIRE_BENCH_DUMP']}.${stack.kind}.json`, JSON.stringify(dump))
      return {
        writers,
        processes: workers.length,
        seconds: durationMs / 1000,
        keystrokes: [...sent.values()].reduce((n, t) => n + t.filter((at) => at >= startAt).length, 0),
        latency: summarize(samples),
        missing,
        serverCpuPercent: ((cpuAfter - cpuBefore) / (durationMs / 1000)) * 100,
        clientsCpuPercent: ((clientsAfter - clientsBefore) / (durationMs / 1000)) * 100,
        serverRss,
        maxClockOffsetMs: Math.max(...workers.map((w) => Math.abs(w.offsetMs))),
      }
    } finally {
      await stopAll(workers, server)
    }
  })
}
