/**
 * A terminal viewer for tests: a `PtyViewer` whose output is written into a headless xterm, as a browser's
 * xterm.js would, so tests can read the screen, wait for text, and compare screens.
 */
import xtermHeadless from '@xterm/headless'
import serializeAddon from '@xterm/addon-serialize'
import { ptyFrameWeight, type PtyViewer } from '@quire/node'

export class ScreenViewer {
  readonly viewer: PtyViewer
  readonly #terminal: InstanceType<typeof xtermHeadless.Terminal>
  readonly #serializer: InstanceType<typeof serializeAddon.SerializeAddon>
  /** Every byte written to the screen since the last reset, as a fresh terminal would be fed. */
  bytes: Uint8Array[] = []
  /** Fresh screens received (the viewer fell behind). */
  screens = 0
  /** Output bytes received in total. */
  received = 0
  /** With `ack: 'manual'`: when false, output is shown but not acknowledged (a stalled viewer). */
  acking = true
  #unacked = 0

  constructor(viewer: PtyViewer, manualAck = false) {
    this.viewer = viewer
    const { cols, rows } = viewer.terminal
    this.#terminal = new xtermHeadless.Terminal({ cols, rows, scrollback: 10_000, allowProposedApi: true })
    this.#serializer = new serializeAddon.SerializeAddon()
    this.#terminal.loadAddon(this.#serializer)
    this.#write(new TextEncoder().encode(viewer.initialScreen), 0, manualAck)
    viewer.on('output', (data) => {
      this.received += data.byteLength
      this.#write(data, ptyFrameWeight({ t: 'output', data }), manualAck)
    })
    viewer.on('screen', (screen) => {
      this.screens++
      this.#terminal.reset()
      this.bytes = []
      this.#write(new TextEncoder().encode(screen), ptyFrameWeight({ t: 'screen', screen }), manualAck)
    })
    viewer.on('info', (t) => { if (t.cols !== this.#terminal.cols || t.rows !== this.#terminal.rows) this.#terminal.resize(t.cols, t.rows) })
  }

  /** Output received and not yet acknowledged (manual mode). */
  get unacked(): number {
    return this.#unacked
  }

  /** Acknowledges everything received so far (manual mode). */
  ackAll(): void {
    const n = this.#unacked
    this.#unacked = 0
    if (n > 0) this.viewer.shown(n)
  }

  #write(data: Uint8Array, weight: number, manualAck: boolean): void {
    this.bytes.push(data)
    this.#terminal.write(data, () => {
      if (!manualAck || weight === 0) return
      if (this.acking) this.viewer.shown(weight)
      else this.#unacked += weight
    })
  }

  /** Resolves once xterm has parsed everything written so far. */
  settled(): Promise<void> {
    return new Promise((resolve) => this.#terminal.write('', resolve))
  }

  /** The visible screen and scrollback as text, trailing spaces trimmed. */
  async text(): Promise<string> {
    await this.settled()
    const buffer = this.#terminal.buffer.active
    const lines: string[] = []
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '')
    return lines.join('\n').replace(/\n+$/, '')
  }

  async serialize(): Promise<string> {
    await this.settled()
    return this.#serializer.serialize()
  }

  /** Waits until the screen text matches `pattern`. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const text = await this.text()
      if (pattern.test(text)) return text
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on the terminal; it shows:\n${text.slice(-2000)}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  dispose(): void {
    this.#terminal.dispose()
  }
}

/** What a fresh terminal of `cols` x `rows` shows after being fed `bytes`: serialized, to compare screens. */
export async function freshScreen(bytes: readonly Uint8Array[], cols: number, rows: number): Promise<string> {
  const terminal = new xtermHeadless.Terminal({ cols, rows, scrollback: 10_000, allowProposedApi: true })
  const serializer = new serializeAddon.SerializeAddon()
  terminal.loadAddon(serializer)
  for (const b of bytes) terminal.write(b)
  await new Promise<void>((resolve) => terminal.write('', resolve))
  const out = serializer.serialize()
  terminal.dispose()
  return out
}
