/**
 * The compute peer's copy of a terminal's screen (T9): a headless xterm fed every byte the pty writes, with
 * 10,000 lines of scrollback, serialized for viewers who attach or fall behind. xterm parses asynchronously,
 * so the bytes it has not parsed yet are counted (the pty pauses while they are many) and a snapshot is
 * taken in a write callback, when it has parsed exactly the bytes given before it.
 */
import xtermHeadless from '@xterm/headless'
import serializeAddon from '@xterm/addon-serialize'

export const SCROLLBACK_LINES = 10_000

export class Screen {
  readonly #terminal: InstanceType<typeof xtermHeadless.Terminal>
  readonly #serializer: InstanceType<typeof serializeAddon.SerializeAddon>
  #unparsed = 0
  #disposed = false

  constructor(cols: number, rows: number) {
    this.#terminal = new xtermHeadless.Terminal({ cols, rows, scrollback: SCROLLBACK_LINES, allowProposedApi: true })
    this.#serializer = new serializeAddon.SerializeAddon()
    this.#terminal.loadAddon(this.#serializer)
  }

  /** Bytes given to {@link write} that xterm has not parsed yet. */
  get unparsedBytes(): number {
    return this.#unparsed
  }

  write(data: Uint8Array, parsed?: () => void): void {
    if (this.#disposed) return
    this.#unparsed += data.byteLength
    this.#terminal.write(data, () => {
      this.#unparsed -= data.byteLength
      parsed?.()
    })
  }

  resize(cols: number, rows: number): void {
    if (!this.#disposed) this.#terminal.resize(cols, rows)
  }

  /**
   * Calls `take` with the screen (modes, scrollback, cursor) as it is after every byte written before this
   * call, synchronously in xterm's callback: bytes written after this call are not in it.
   */
  snapshot(take: (screen: string) => void): void {
    if (this.#disposed) return take('')
    this.#terminal.write('', () => take(this.#disposed ? '' : this.#serializer.serialize({ scrollback: SCROLLBACK_LINES })))
  }

  dispose(): void {
    if (this.#disposed) return
    this.#disposed = true
    this.#terminal.dispose()
  }
}
