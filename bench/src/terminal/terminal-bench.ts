/**
 * `terminal` (issue 15): shared terminals through Quire (`/quire/pty/1.0.0` to a sandboxed `bash -l` on a
 * compute peer), over a direct and a circuit-relayed libp2p connection, against the stock setup built from the
 * same parts (node-pty over a plain WebSocket, stock-server-main.ts) and a node-pty in this process (the
 * floor). Every time is on this process's clock (`performance.now()`): keys are sent and output received here.
 */
import { cpuSeconds, sleep } from '../lib/proc.js'
import { localLink, quireLink, stockLink, TermView, type TermLink } from './links.js'
import type { TerminalWorld } from './setup.js'

/**
 * The prompt every shell is given, as it shows (the quotes keep the command's echo from matching; no trailing
 * space: a serialized screen, sent to a Quire viewer that fell behind, leaves it out).
 */
const PROMPT = '[bench]$'
const SET_PROMPT = `PS1='[bench]''$ '; PROMPT_COMMAND=; unset HISTFILE\r`
const WAIT_MS = 120_000

export type PathName = 'Quire, direct' | 'Quire, relayed' | 'stock (node-pty + ws)' | 'local node-pty (floor)'
export const QUIRE_DIRECT: PathName = 'Quire, direct'
export const QUIRE_RELAYED: PathName = 'Quire, relayed'
export const STOCK: PathName = 'stock (node-pty + ws)'
export const LOCAL: PathName = 'local node-pty (floor)'

function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  return Promise.race([promise, sleep(ms).then(() => { throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`) })])
}

/** Opens a new terminal on `path` (a fresh stock terminal by `name`), sets the prompt, and waits for it. */
export async function openPath(world: TerminalWorld, path: PathName, name: string, render: boolean): Promise<TermView> {
  const size = { cols: 80, rows: 24 }
  let link: TermLink
  if (path === QUIRE_DIRECT) link = await quireLink(path, world.direct, world.computeDirect, { project: world.projectId, name, ...size })
  else if (path === QUIRE_RELAYED) link = await quireLink(path, world.relayed, world.computeCircuit, { project: world.projectId, name, ...size })
  else if (path === STOCK) link = await stockLink(path, world.stockUrl, name)
  else link = localLink(path, world.stockDir)
  const view = new TermView(link, render)
  const prompt = view.waitFor(PROMPT)
  link.write(SET_PROMPT)
  await within(prompt, `the prompt on ${path}`)
  await sleep(50)
  return view
}

/** A second viewer of the terminal `first` shows (attached by id on Quire, by name on the stock server). */
async function attachPath(world: TerminalWorld, first: TermView, name: string, render: boolean): Promise<TermView> {
  const link = first.link
  if (link.path === STOCK) return new TermView(await stockLink(link.path, world.stockUrl, name), render)
  const viewer = (link as TermLink & { viewer?: { terminal: { id: string } } }).viewer
  if (viewer === undefined) throw new Error(`${link.path} has one viewer only`)
  const [node, target] = link.path === QUIRE_RELAYED ? [world.relayed, world.computeCircuit] : [world.direct, world.computeDirect]
  return new TermView(await quireLink(link.path, node, target, { project: world.projectId, id: viewer.terminal.id, cols: 80, rows: 24 }), render)
}

async function closeAll(views: TermView[]): Promise<void> {
  for (const v of views) {
    // Ends the shell too (Quire: `close`; the stock server's terminal outlives its sockets, like the demo's).
    const viewer = (v.link as TermLink & { viewer?: { closeTerminal(): void } }).viewer
    viewer?.closeTerminal()
    if (v.link.path === STOCK) v.link.write('exit\r')
    await v.link.close().catch(() => undefined)
    v.dispose()
  }
}

/**
 * Keystroke echo latency: `samples` keys a path (alternately `a` and a backspace, so the line stays short),
 * each sent once the previous echo has come and 5 ms have passed; `rounds` rounds, alternating the paths in
 * each; 10 warm-up keys per path first. Key sent to the first byte of its echo arriving here.
 */
export async function echoLatency(world: TerminalWorld, paths: PathName[], samples: number, rounds: number): Promise<Map<PathName, number[]>> {
  const views = new Map<PathName, TermView>()
  const results = new Map<PathName, number[]>(paths.map((p) => [p, []]))
  try {
    for (const path of paths) views.set(path, await openPath(world, path, `echo-${paths.indexOf(path)}`, false))
    const key = async (view: TermView, i: number): Promise<number> => {
      const echo = view.nextChunk()
      const t0 = performance.now()
      view.link.write(i % 2 === 0 ? 'a' : '\x7f')
      const at = await within(echo, `the echo on ${view.link.path}`, 30_000)
      await sleep(5)
      return at - t0
    }
    for (const path of paths) for (let i = 0; i < 10; i++) await key(views.get(path)!, i)
    for (let r = 0; r < rounds; r++) {
      for (const path of paths) {
        const view = views.get(path)!
        for (let i = 0; i < samples; i++) results.get(path)!.push(await key(view, i))
      }
    }
  } finally {
    await closeAll([...views.values()])
  }
  return results
}

export interface CatResult {
  readonly path: PathName
  readonly viewers: number
  /** From the command's Enter to the end marker's bytes arriving at the last viewer. */
  readonly arrivedSeconds: number
  /** From the command's Enter to the end marker parsed by every viewer's xterm (NaN: a viewer's xterm dropped it). */
  readonly shownSeconds: number
  /** Output bytes each viewer's xterm refused (the mean; xterm.js drops writes beyond 50 MB pending). */
  readonly discardedPerViewer: number
  /** Output bytes each viewer received (the mean; less than the file when it was sent fresh screens). */
  readonly receivedPerViewer: number
  readonly screens: number
  /** CPU seconds of the server's process during the cat (the compute peer's, not its pty host's; the stock server's). */
  readonly serverCpuSeconds: number
  /** CPU seconds of this process (the viewers) during the cat. */
  readonly viewersCpuSeconds: number
}

/**
 * `cat` of a file of `bytes` bytes (80-byte numbered lines, made in the terminal's own /tmp on the
 * compute peer, in a temporary directory for the stock server) to `viewers` viewers, each rendering with a
 * headless xterm as a browser's xterm.js does, acknowledging (Quire) as xterm parses.
 */
export async function catThroughput(world: TerminalWorld, path: PathName, viewers: number, bytes: number): Promise<CatResult> {
  const first = await openPath(world, path, `cat-${viewers}`, true)
  const views = [first]
  try {
    const file = path === STOCK ? `${world.stockDir}/big.txt` : '/tmp/big.txt'
    const made = first.waitFor('MADE-7')
    first.link.write(`seq -f '%09.0f lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusm' 1 ${Math.ceil(bytes / 70)} | head -c ${bytes} > ${file}; echo MADE-$((3+4))\r`)
    await within(made, 'the file')
    for (let i = 1; i < viewers; i++) views.push(await attachPath(world, first, `cat-${viewers}`, true))
    await sleep(200)
    for (const v of views) await v.settled()
    const before = views.map((v) => ({ received: v.received, screens: v.screens, discarded: v.discarded }))
    const done = views.map((v) => v.waitFor('CAT-42'))
    const serverPid = path === STOCK ? world.stockPid : world.compute.proc.pid
    const serverCpu0 = cpuSeconds(serverPid)
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    first.link.write(`cat ${file}; echo CAT-$((40+2))\r`)
    const at = await within(Promise.all(done), `the end of the cat on ${path}`, 600_000)
    const arrivedSeconds = (Math.max(...at.map((a) => a.arrived)) - t0) / 1000
    const shownSeconds = (Math.max(...at.map((a) => a.shown)) - t0) / 1000
    for (const v of views) await within(v.settled(), 'the viewers to catch up', 300_000)
    const serverCpuSeconds = cpuSeconds(serverPid) - serverCpu0
    const c = process.cpuUsage(c0)
    first.link.write(`rm -f ${file}\r`)
    return {
      serverCpuSeconds, viewersCpuSeconds: (c.user + c.system) / 1e6,
      path, viewers, arrivedSeconds, shownSeconds,
      discardedPerViewer: views.reduce((s, v, i) => s + v.discarded - before[i]!.discarded, 0) / views.length,
      receivedPerViewer: views.reduce((s, v, i) => s + v.received - before[i]!.received, 0) / views.length,
      screens: views.reduce((s, v, i) => s + v.screens - before[i]!.screens, 0),
    }
  } finally {
    await closeAll(views)
  }
}

export interface InterruptResult {
  readonly path: PathName
  readonly runs: number
  /** Ctrl-C to the prompt's bytes arriving here, per run (ms). */
  readonly arrived: number[]
  /** Ctrl-C to the prompt parsed by the viewer's xterm (what the person sees), per run; NaN when it never was. */
  readonly shown: number[]
}

/**
 * `yes` for `floodMs`, then Ctrl-C: time to the prompt, as bytes and on the viewer's (headless xterm) screen.
 * A viewer whose xterm drops output (xterm.js discards writes beyond 50 MB pending) may never show it: that
 * run's `shown` is NaN after a 60 s wait.
 */
export async function interruptFlood(world: TerminalWorld, path: PathName, floodMs: number, runs: number): Promise<InterruptResult> {
  const view = await openPath(world, path, 'yes', true)
  const arrived: number[] = []
  const shown: number[] = []
  try {
    for (let r = 0; r < runs; r++) {
      view.link.write('yes\r')
      await sleep(floodMs)
      const prompt = view.waitFor(PROMPT)
      const t0 = performance.now()
      view.link.write('\x03')
      const at = await Promise.race([prompt, sleep(60_000).then(() => undefined)])
      arrived.push(at === undefined ? NaN : at.arrived - t0)
      shown.push(at === undefined ? NaN : at.shown - t0)
      await within(view.settled(), `the backlog on ${path}`, 300_000)
      await sleep(500)
    }
  } finally {
    await closeAll([view])
  }
  return { path, runs, arrived, shown }
}

export interface AttachResult {
  readonly path: PathName
  /** Open (attach request sent) to `ready` received, ms per attach. */
  readonly ready: number[]
  /** Open to the whole screen and scrollback parsed by the new viewer's xterm, ms per attach. */
  readonly whole: number[]
  /** Lines in the new viewer's xterm (scrollback and screen) at the end. */
  readonly lines: number
  /** Characters of serialized screen received (ready and the output that completes it). */
  readonly screenChars: number
  /** CPU time per attach (ms): the compute peer's process (from /proc, 10 ms ticks) and this process's. */
  readonly computeCpuMs: number
  readonly viewerCpuMs: number
}

/** A terminal with `lines` 80-byte lines printed; `attaches` viewers attach in turn (each detached after). */
export async function attachScrollback(world: TerminalWorld, path: PathName, lines: number, attaches: number): Promise<AttachResult> {
  const first = await openPath(world, path, 'scrollback', false)
  const ready: number[] = []
  const whole: number[] = []
  let lineCount = 0
  let screenChars = 0
  let computeCpuMs = NaN
  let viewerCpuMs = NaN
  try {
    const printed = first.waitFor('SEQ-2')
    first.link.write(`seq -f '%09.0f lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusm' 1 ${lines}; echo SEQ-$((1+1))\r`)
    await within(printed, 'the lines')
    await sleep(500)
    const viewer = (first.link as TermLink & { viewer: { terminal: { id: string } } }).viewer
    const [node, target] = path === QUIRE_RELAYED ? [world.relayed, world.computeCircuit] : [world.direct, world.computeDirect]
    const computeCpu0 = cpuSeconds(world.compute.proc.pid)
    let viewerCpu = 0
    for (let i = 0; i < attaches; i++) {
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      const link = await quireLink(path, node, target, { project: world.projectId, id: viewer.terminal.id, cols: 80, rows: 24 })
      const t1 = performance.now()
      // The screen's head comes in `ready`, the rest as output right behind it: the attach is complete once
      // the last printed line is parsed (it is in the last part) and xterm has caught up.
      const view = new TermView(link, true)
      const last: Promise<unknown> = Buffer.from(link.initial).includes('SEQ-2') ? Promise.resolve() : view.waitFor('SEQ-2')
      await within(last, 'the whole screen')
      await view.settled()
      const t2 = performance.now()
      const c = process.cpuUsage(c0)
      viewerCpu += (c.user + c.system) / 1000
      ready.push(t1 - t0)
      whole.push(t2 - t0)
      lineCount = view.lines()
      screenChars = link.initial.byteLength + view.received
      await link.close()
      view.dispose()
      await sleep(200)
    }
    computeCpuMs = ((cpuSeconds(world.compute.proc.pid) - computeCpu0) * 1000) / attaches
    viewerCpuMs = viewerCpu / attaches
  } finally {
    await closeAll([first])
  }
  return { path, ready, whole, lines: lineCount, screenChars, computeCpuMs, viewerCpuMs }
}
