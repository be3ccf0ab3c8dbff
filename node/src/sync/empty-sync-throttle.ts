import type { Message, NetworkAdapterInterface, PeerId } from '@automerge/automerge-repo'
import { readSyncMessage } from './sync-message-bytes.js'
import { WrappingAdapter } from './wrapping-adapter.js'

/** Messages the throttle held back and let through, for metrics. */
export interface EmptySyncStats {
  /** Empty sync messages replaced by a later one (never sent or delivered). */
  coalesced: number
  /** Empty sync messages sent or delivered late, after a wait. */
  delayed: number
}

/** One direction of one (peer, document) pair. */
interface Lane {
  /** When a sync message of this pair last went through (ms, performance.now()). */
  lastAt: number
  pending: Message | undefined
  timer: ReturnType<typeof setTimeout> | undefined
}

/**
 * Limits the sync messages that carry no changes (Y26) to one per `intervalMs` for each peer, document and
 * direction, keeping only the latest.
 *
 * Why: while several members type into one document, neither side's heads ever equal the other's, and
 * automerge's sync protocol answers every message that changed our heads or theirs. A relay and each of its
 * peers then trade empty messages (heads, have, need) as fast as they can process them: at eight typists a
 * relay received 18 messages per keystroke, 90 % of them empty, and spent its whole core on them (each costs
 * a receive and a generate, each copying the peer's sync state into WebAssembly and back). An empty message
 * only says where its sender stands, and a later one from the same sender says it better: its heads include
 * the earlier heads (a document only grows) and its have and need describe the same sender later. So a later
 * empty message replaces a waiting one, and a message with changes, which carries the sender's current heads
 * too, makes a waiting empty one unnecessary. Nothing with changes is ever delayed; a quiet pair's first
 * empty message goes at once, so a lone writer's acknowledgement is not late.
 */
export class EmptySyncThrottle extends WrappingAdapter {
  readonly stats: EmptySyncStats = { coalesced: 0, delayed: 0 }
  readonly #intervalMs: number
  readonly #outgoing = new Map<string, Lane>()
  readonly #incoming = new Map<string, Lane>()
  #closed = false
  #sinceSweep = 0

  constructor(inner: NetworkAdapterInterface, options: { intervalMs: number }) {
    super(inner)
    this.#intervalMs = options.intervalMs
    this.inner.on('peer-candidate', (p) => this.emit('peer-candidate', p))
    this.inner.on('peer-disconnected', (p) => {
      this.#forget(p.peerId)
      this.emit('peer-disconnected', p)
    })
    this.inner.on('message', (m) => this.#pass(this.#incoming, m, m.senderId, (x) => this.emit('message', x)))
  }

  override send(message: Message): void {
    this.#pass(this.#outgoing, message, message.targetId, (x) => this.inner.send(x))
  }

  override disconnect(): void {
    this.#closed = true
    for (const lanes of [this.#outgoing, this.#incoming]) {
      for (const lane of lanes.values()) if (lane.timer !== undefined) clearTimeout(lane.timer)
      lanes.clear()
    }
    super.disconnect()
  }

  #pass(lanes: Map<string, Lane>, message: Message, peer: PeerId, deliver: (m: Message) => void): void {
    const documentId = 'documentId' in message ? message.documentId : undefined
    if (documentId === undefined || this.#closed || this.#intervalMs <= 0) {
      deliver(message)
      return
    }
    const key = `${peer}\u0000${documentId}`
    const now = performance.now()
    if (++this.#sinceSweep >= 1000) this.#sweep(now)
    let lane = lanes.get(key)
    if (!isEmptySync(message)) {
      if (lane?.pending !== undefined) {
        // A sync message states the sender's position anew; anything else must not overtake the waiting one.
        if (message.type === 'sync') this.stats.coalesced++
        else deliver(lane.pending)
        lane.pending = undefined
        if (lane.timer !== undefined) clearTimeout(lane.timer)
        lane.timer = undefined
      }
      if (message.type === 'sync') {
        if (lane === undefined) lanes.set(key, (lane = { lastAt: now, pending: undefined, timer: undefined }))
        lane.lastAt = now
      }
      deliver(message)
      return
    }
    if (lane === undefined) lanes.set(key, (lane = { lastAt: -Infinity, pending: undefined, timer: undefined }))
    if (lane.pending === undefined && now - lane.lastAt >= this.#intervalMs) {
      lane.lastAt = now
      deliver(message)
      return
    }
    if (lane.pending !== undefined) this.stats.coalesced++
    lane.pending = message
    const waiting = lane
    waiting.timer ??= setTimeout(() => {
      waiting.timer = undefined
      const next = waiting.pending
      waiting.pending = undefined
      if (next === undefined || this.#closed) return
      waiting.lastAt = performance.now()
      this.stats.delayed++
      deliver(next)
    }, Math.max(0, lane.lastAt + this.#intervalMs - now))
  }

  /** Drops lanes that no longer hold anything back (a relay sees many documents per peer). */
  #sweep(now: number): void {
    this.#sinceSweep = 0
    for (const lanes of [this.#outgoing, this.#incoming]) {
      for (const [key, lane] of lanes) if (lane.pending === undefined && now - lane.lastAt >= this.#intervalMs) lanes.delete(key)
    }
  }

  #forget(peerId: PeerId): void {
    const prefix = `${peerId}\u0000`
    for (const lanes of [this.#outgoing, this.#incoming]) {
      for (const [key, lane] of lanes) {
        if (!key.startsWith(prefix)) continue
        if (lane.timer !== undefined) clearTimeout(lane.timer)
        lanes.delete(key)
      }
    }
  }
}

function isEmptySync(message: Message): boolean {
  if (message.type !== 'sync' || !(message.data instanceof Uint8Array)) return false
  return readSyncMessage(message.data)?.changes === 0
}
