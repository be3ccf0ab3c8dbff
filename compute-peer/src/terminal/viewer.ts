/**
 * One member's view of a terminal on the compute peer's side: what was sent and acknowledged (T7), the output
 * held back while the member is behind, and whether it needs a fresh screen instead (T8).
 */
import type { FramedStream, PtyServerFrame, PtyTerminalInfo } from '@quire/node'

/** Output sent and not yet acknowledged above which a viewer is behind (no more output is sent to it). */
export const VIEWER_HIGH_WATER_BYTES = 256 * 1024
/** A viewer that was behind gets output again once no more than this is unacknowledged. */
export const VIEWER_LOW_WATER_BYTES = 64 * 1024
/** Output held for a viewer that is behind; beyond it the viewer is sent a fresh screen instead (T8). */
export const VIEWER_BACKLOG_BYTES = 1024 * 1024
/** Screen text per frame (characters: at most 4 UTF-8 bytes each, within the frame bound). */
const SCREEN_CHUNK_CHARS = 32 * 1024
const OUTPUT_CHUNK_BYTES = 64 * 1024

export type ViewerState = 'syncing' | 'live' | 'behind'

export class Viewer {
  readonly peer: string
  readonly framed: FramedStream
  /** From the latest grant check (T4). */
  writer: boolean
  cols: number
  rows: number
  /** When this writer last typed, opened the terminal or took the size (T10); 0 when never. */
  activeAt = 0
  #state: ViewerState = 'syncing'
  #sent = 0
  #acked = 0
  #backlog: Uint8Array[] = []
  #backlogBytes = 0
  #needsScreen = false
  /** Fresh screens sent because the viewer fell too far behind (tests and logs read it). */
  resyncs = 0

  constructor(peer: string, framed: FramedStream, writer: boolean, cols: number, rows: number) {
    this.peer = peer
    this.framed = framed
    this.writer = writer
    this.cols = cols
    this.rows = rows
  }

  get state(): ViewerState {
    return this.#state
  }

  /** Sent and not acknowledged. */
  get unacked(): number {
    return this.#sent - this.#acked
  }

  /** Output held for this viewer, bytes. */
  get backlogBytes(): number {
    return this.#backlogBytes
  }

  get needsScreen(): boolean {
    return this.#needsScreen
  }

  send(frame: PtyServerFrame): void {
    this.framed.send(frame)
  }

  /** New output from the terminal. */
  deliver(data: Uint8Array): void {
    if (this.#state === 'live' && this.unacked < VIEWER_HIGH_WATER_BYTES) return this.#output(data)
    if (this.#state === 'live') this.#state = 'behind'
    this.#hold(data)
  }

  /**
   * The member has shown `bytes` in total. Returns true when it caught up and needs a fresh screen, which
   * the session then takes (T8); otherwise the held output is sent.
   */
  ack(bytes: number): boolean {
    // A count beyond what was sent is a broken or hostile client: it cannot buy itself more output.
    this.#acked = Math.max(this.#acked, Math.min(bytes, this.#sent))
    if (this.#state !== 'behind' || this.unacked > VIEWER_LOW_WATER_BYTES) return false
    if (this.#needsScreen) return true
    this.#state = 'live'
    this.#release()
    return false
  }

  /** Starts waiting for a snapshot: output that arrives meanwhile is held (it is not in the snapshot). */
  beginSync(): void {
    this.#state = 'syncing'
    this.#backlog = []
    this.#backlogBytes = 0
    this.#needsScreen = false
  }

  /** Sends the snapshot taken after {@link beginSync} (first frame `ready` on attach, else `screen`), then what was held. */
  finishSync(screen: string, ready?: PtyTerminalInfo): void {
    if (this.#state !== 'syncing') return
    const head = screen.slice(0, cutAt(screen, SCREEN_CHUNK_CHARS))
    if (ready !== undefined) this.send({ t: 'ready', terminal: ready, screen: head })
    else {
      this.resyncs++
      this.#sent += head.length
      this.send({ t: 'screen', screen: head })
    }
    const rest = new TextEncoder().encode(screen.slice(head.length))
    for (let at = 0; at < rest.byteLength; at += OUTPUT_CHUNK_BYTES) this.#output(rest.subarray(at, at + OUTPUT_CHUNK_BYTES))
    this.#state = 'live'
    this.#release()
  }

  #output(data: Uint8Array): void {
    this.#sent += data.byteLength
    this.send({ t: 'output', data })
  }

  #hold(data: Uint8Array): void {
    if (this.#needsScreen) return
    this.#backlog.push(data)
    this.#backlogBytes += data.byteLength
    if (this.#backlogBytes > VIEWER_BACKLOG_BYTES) {
      this.#backlog = []
      this.#backlogBytes = 0
      this.#needsScreen = true
    }
  }

  #release(): void {
    while (this.#backlog.length > 0 && this.#state === 'live') {
      if (this.unacked >= VIEWER_HIGH_WATER_BYTES) {
        this.#state = 'behind'
        return
      }
      const data = this.#backlog.shift()!
      this.#backlogBytes -= data.byteLength
      this.#output(data)
    }
  }
}

/** Where to cut `text` at most `max` characters in, not inside a surrogate pair. */
function cutAt(text: string, max: number): number {
  if (text.length <= max) return text.length
  const code = text.charCodeAt(max - 1)
  return code >= 0xd800 && code <= 0xdbff ? max - 1 : max
}
