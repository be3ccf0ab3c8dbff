/**
 * The four ways the `terminal` benchmark reaches a shell, behind one interface: Quire over a direct libp2p
 * connection, Quire over a circuit-relayed one, the stock server (node-pty over a plain WebSocket), and
 * node-pty in this process (the floor). A {@link TermView} watches one link's output for markers, either as
 * raw bytes or rendered by a headless xterm (what a browser's xterm.js does with them).
 */
import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import pty from 'node-pty'
import WebSocket from 'ws'
import xtermHeadless from '@xterm/headless'
import { openTerminal, type OpenTerminalRequest, type PtyViewer } from '@quire/node'

/** One chunk of output; `shown` tells the server it is on the screen (Quire's flow control, T7). */
export type OutputListener = (data: Uint8Array, shown: () => void, reset: boolean) => void

export interface TermLink {
  readonly path: string
  /** What the server sent on attach (Quire's serialized screen; empty elsewhere). */
  readonly initial: Uint8Array
  write(data: string): void
  onOutput(listener: OutputListener): void
  close(): Promise<void>
}

const encoder = new TextEncoder()

/** Opens (name) or attaches to (id) a Quire terminal; output is acknowledged through `shown` (manual ack). */
export async function quireLink(path: string, libp2p: Pick<Libp2p, 'dialProtocol'>, target: Multiaddr, request: OpenTerminalRequest): Promise<TermLink & { viewer: PtyViewer }> {
  const viewer = await openTerminal(libp2p, target, request, { ack: 'manual' })
  return {
    path, viewer, initial: encoder.encode(viewer.initialScreen),
    write: (data) => viewer.write(data),
    onOutput: (listener) => {
      viewer.on('output', (data) => listener(data, () => viewer.shown(data.byteLength), false))
      viewer.on('screen', (screen) => listener(encoder.encode(screen), () => viewer.shown(screen.length), true))
    },
    close: async () => {
      viewer.detach()
      await viewer.closedPromise()
    },
  }
}

/** A viewer of the stock server's terminal `name` (started on first use). */
export async function stockLink(path: string, url: string, name: string): Promise<TermLink> {
  const ws = new WebSocket(`${url}/${encodeURIComponent(name)}`)
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject) })
  const listeners: OutputListener[] = []
  const none = (): void => {}
  ws.on('message', (data: Buffer) => { for (const l of listeners) l(data, none, false) })
  return {
    path, initial: new Uint8Array(0),
    write: (data) => ws.send(data),
    onOutput: (listener) => { listeners.push(listener) },
    close: () => new Promise<void>((resolve) => {
      ws.once('close', () => resolve())
      ws.close()
    }),
  }
}

/** The floor: `bash -l` on a node-pty in this process, no network, no other process in between. */
export function localLink(path: string, cwd: string): TermLink {
  const term = pty.spawn('/bin/bash', ['-l'], {
    name: 'xterm-256color', cols: 80, rows: 24, cwd,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: cwd, TERM: 'xterm-256color', LANG: 'C.UTF-8' },
    encoding: null,
  } as pty.IPtyForkOptions)
  const listeners: OutputListener[] = []
  const none = (): void => {}
  term.onData((data: string | Buffer) => {
    const bytes = typeof data === 'string' ? encoder.encode(data) : data
    for (const l of listeners) l(bytes, none, false)
  })
  return {
    path, initial: new Uint8Array(0),
    write: (data) => term.write(data),
    onOutput: (listener) => { listeners.push(listener) },
    close: async () => {
      const exited = new Promise<void>((resolve) => term.onExit(() => resolve()))
      term.kill('SIGKILL')
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))])
    },
  }
}

interface Waiter {
  readonly marker: Buffer
  readonly since: number
  readonly resolve: (at: { arrived: number; shown: number }) => void
}

/**
 * Watches a link's output. `render`: every chunk is written to a headless xterm (80x24, 10,000 lines of
 * scrollback) and counts as shown, for flow control and for {@link waitFor}, once xterm has parsed it; else
 * it counts as shown when it arrives.
 */
export class TermView {
  readonly link: TermLink
  readonly #render: boolean
  readonly #terminal: InstanceType<typeof xtermHeadless.Terminal> | undefined
  /** Output bytes received (fresh screens included). */
  received = 0
  /** Fresh screens received (Quire sends one to a viewer that fell behind, T8). */
  screens = 0
  /** Output bytes xterm refused (it throws rather than queue more than 50 MB unparsed: no flow control). */
  discarded = 0
  #tail = Buffer.alloc(0)
  #waiters: Waiter[] = []
  #nextChunk: ((at: number) => void) | undefined

  constructor(link: TermLink, render: boolean) {
    this.link = link
    this.#render = render
    if (render) {
      this.#terminal = new xtermHeadless.Terminal({ cols: 80, rows: 24, scrollback: 10_000, allowProposedApi: true })
      if (link.initial.byteLength > 0) this.#terminal.write(link.initial)
    }
    link.onOutput((data, shown, reset) => this.#chunk(data, shown, reset))
  }

  /** Resolves with the arrival time of the next chunk of output (key echo latency). */
  nextChunk(): Promise<number> {
    return new Promise((resolve) => { this.#nextChunk = resolve })
  }

  /**
   * Resolves when `marker` has arrived (`arrived`) and, rendering, been parsed by xterm (`shown`), in output
   * that arrives after this call.
   */
  waitFor(marker: string): Promise<{ arrived: number; shown: number }> {
    return new Promise((resolve) => this.#waiters.push({ marker: Buffer.from(marker), since: performance.now(), resolve }))
  }

  /** Lines in xterm's buffer (scrollback and screen), rendering only. */
  lines(): number {
    return this.#terminal?.buffer.active.length ?? 0
  }

  /** Resolves once xterm has parsed everything written so far. */
  async settled(): Promise<void> {
    const t = this.#terminal
    if (t === undefined) return
    for (;;) {
      try {
        return await new Promise<void>((resolve) => t.write('', resolve))
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100)) // over xterm's discard mark: wait for it to parse
      }
    }
  }

  dispose(): void {
    this.#terminal?.dispose()
  }

  #chunk(data: Uint8Array, shown: () => void, reset: boolean): void {
    const now = performance.now()
    this.received += data.byteLength
    if (reset) this.screens++
    const next = this.#nextChunk
    this.#nextChunk = undefined
    next?.(now)
    const found: Waiter[] = []
    if (this.#waiters.length > 0) {
      const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      for (const w of this.#waiters) {
        const edge = Buffer.concat([this.#tail, buf.subarray(0, w.marker.length - 1)])
        if (edge.includes(w.marker) || buf.includes(w.marker)) found.push(w)
      }
      this.#waiters = this.#waiters.filter((w) => !found.includes(w))
    }
    this.#tail = Buffer.from(data.subarray(Math.max(0, data.byteLength - 64)))
    const terminal = this.#terminal
    if (terminal === undefined) {
      shown()
      for (const w of found) w.resolve({ arrived: now, shown: now })
      return
    }
    if (reset) terminal.reset()
    try {
      terminal.write(data, () => {
        shown()
        const at = performance.now()
        for (const w of found) w.resolve({ arrived: now, shown: at })
      })
    } catch {
      // xterm.js drops writes while more than 50 MB wait to be parsed ("use flow control to avoid losing data").
      this.discarded += data.byteLength
      shown()
      for (const w of found) w.resolve({ arrived: now, shown: NaN })
    }
  }
}
