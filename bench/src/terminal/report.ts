/**
 * `npm run bench -- --only terminal [--quick]`: runs the terminal benchmark (terminal-bench.ts) in one world
 * (setup.ts) and prints its tables with the targets of issue 15.
 */
import { loadAverage, sleep } from '../lib/proc.js'
import { ms, summarize } from '../lib/stats.js'
import { startTerminalWorld } from './setup.js'
import {
  LOCAL, QUIRE_DIRECT, QUIRE_RELAYED, STOCK, attachScrollback, catThroughput, echoLatency, interruptFlood,
  type CatResult, type PathName,
} from './terminal-bench.js'

type Table = (title: string, header: string[], rows: string[][]) => void

const MB = 1024 * 1024
const median = (xs: number[]): number => summarize(xs.filter(Number.isFinite)).median
const seconds = (s: number): string => (Number.isFinite(s) ? `${s.toFixed(2)} s` : 'never (xterm dropped it)')

export async function terminalBenchmark(quick: boolean, table: Table): Promise<void> {
  const world = await startTerminalWorld()
  try {
    // (a) Keystroke echo.
    const samples = quick ? 30 : 100
    const rounds = quick ? 1 : 4
    const echo = await echoLatency(world, [LOCAL, STOCK, QUIRE_DIRECT, QUIRE_RELAYED], samples, rounds)
    const stockMedian = summarize(echo.get(STOCK)!).median
    table(`Keystroke echo: key sent to the first byte of its echo at the viewer, \`bash -l\` at a prompt, ${samples} keys a path in each of ${rounds} round(s) alternating the paths, 5 ms between keys (target: Quire's median within 2 ms of the stock server's; relayed path really relayed: ${world.relayedIsRelayed() ? 'yes' : 'NO'}; load ${loadAverage()})`,
      ['path', 'keys', 'median', 'p90', 'p99', 'max', 'median minus stock', 'within 2 ms'],
      [...echo].map(([path, xs]) => {
        const s = summarize(xs)
        const p90 = [...xs].sort((a, b) => a - b)[Math.ceil(0.9 * xs.length) - 1] ?? NaN
        const quire = path === QUIRE_DIRECT || path === QUIRE_RELAYED
        return [path, String(s.count), ms(s.median), ms(p90), ms(s.p99), ms(s.max), path === STOCK ? '' : ms(s.median - stockMedian),
          quire ? (s.median - stockMedian <= 2 ? 'yes' : 'no') : '']
      }))

    // (b) Throughput of `cat` to one and four viewers.
    const bytes = quick ? 10 * MB : 100 * MB
    const cats: CatResult[] = []
    for (const viewers of [1, 4]) {
      for (const path of [STOCK, QUIRE_DIRECT] as PathName[]) {
        cats.push(await catThroughput(world, path, viewers, bytes))
        console.error(`[bench] terminal: cat to ${viewers} on ${path} done (load ${loadAverage()})`)
        await sleep(1000)
      }
    }
    table(`\`cat\` of a ${bytes / MB} MB file (80-byte lines) to viewers rendering with a headless xterm each (as xterm.js in a browser), all in this process: Enter to the end marker at every viewer (load ${loadAverage()})`,
      ['path', 'viewers', 'marker arrived', 'marker on every screen', 'MB/s (to the screens)', 'received per viewer', 'dropped by xterm per viewer', 'fresh screens (T8)', 'server CPU', 'viewers CPU'],
      cats.map((c) => [c.path, String(c.viewers), seconds(c.arrivedSeconds), seconds(c.shownSeconds),
        Number.isFinite(c.shownSeconds) ? (bytes / MB / c.shownSeconds).toFixed(1) : 'n/a',
        `${(c.receivedPerViewer / MB).toFixed(1)} MB`, `${(c.discardedPerViewer / MB).toFixed(1)} MB`, String(c.screens),
        `${c.serverCpuSeconds.toFixed(1)} s`, `${c.viewersCpuSeconds.toFixed(1)} s`]))

    // Ctrl-C during `yes`.
    const floodMs = quick ? 2000 : 5000
    const runs = quick ? 2 : 5
    const interrupts = []
    for (const path of [LOCAL, STOCK, QUIRE_DIRECT, QUIRE_RELAYED] as PathName[]) interrupts.push(await interruptFlood(world, path, floodMs, runs))
    table(`\`yes\` for ${floodMs / 1000} s, then Ctrl-C: to the prompt, viewer rendering with a headless xterm, ${runs} runs a path (target: under 300 ms on the screen; load ${loadAverage()})`,
      ['path', 'runs', 'prompt bytes arrive: median', 'max', 'prompt on the screen: median', 'max', 'runs it never showed', 'under 300 ms'],
      interrupts.map((r) => {
        const never = r.shown.filter((x) => !Number.isFinite(x)).length
        const shownMax = Math.max(...r.shown.map((x) => (Number.isFinite(x) ? x : Infinity)))
        return [r.path, String(r.runs), ms(median(r.arrived)), ms(Math.max(...r.arrived)), ms(median(r.shown)), Number.isFinite(shownMax) ? ms(shownMax) : 'never',
          String(never), r.path === QUIRE_DIRECT || r.path === QUIRE_RELAYED ? (never === 0 && shownMax < 300 ? 'yes' : 'no') : '']
      }))

    // (c) Attach with 10,000 lines of scrollback.
    const lines = 12_000
    const attaches = quick ? 3 : 10
    const attach = []
    for (const path of [QUIRE_DIRECT, QUIRE_RELAYED] as PathName[]) attach.push(await attachScrollback(world, path, lines, attaches))
    table(`Attach to a terminal that printed ${lines} 80-byte lines (10,000 kept as scrollback), ${attaches} attaches a path: request to \`ready\`, and to the whole screen and scrollback parsed by the new viewer's headless xterm (target: under 300 ms; the stock server keeps no screen, a new viewer sees only later output; load ${loadAverage()})`,
      ['path', 'attaches', 'ready: median', 'whole screen: median', 'whole screen: max', 'CPU per attach: compute peer', 'CPU per attach: viewer', 'lines at the viewer', 'screen size', 'under 300 ms'],
      attach.map((a) => [a.path, String(a.ready.length), ms(median(a.ready)), ms(median(a.whole)), ms(Math.max(...a.whole)), ms(a.computeCpuMs), ms(a.viewerCpuMs), String(a.lines),
        `${(a.screenChars / MB).toFixed(2)} MB`, Math.max(...a.whole) < 300 ? 'yes (max)' : median(a.whole) < 300 ? 'yes (median)' : 'no']))
  } finally {
    await world.stop()
  }
}
