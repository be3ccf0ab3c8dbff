/**
 * Presence over a document handle's ephemeral messages, after y-protocols' awareness: each peer broadcasts
 * its whole (small) state on every change and as a heartbeat; a peer silent for `ttlMs` is forgotten; a
 * goodbye forgets it at once. Nothing is written into the document.
 *
 * Why not automerge-repo 2.5's `Presence`: it evaluates `marker in message` on whatever a peer sent (a
 * non-object message throws inside the handle's event emitter) and keeps peer values unvalidated; it also
 * greets newcomers after a fixed 500 ms delay. This tracker validates every message and answers a newcomer
 * at once (at most once a second).
 */
import type { PeerPresence, PresenceActivity, PresenceCursor, PresenceSelf, PresenceState } from './presence-protocol.js'
import { byeMessage, readPresenceMessage, safeColor, stateMessage } from './presence-protocol.js'

/** The part of an automerge-repo DocHandle that presence uses. */
export interface PresenceChannel {
  broadcast(message: unknown): void
  on(event: 'ephemeral-message', listener: (payload: { senderId: string; message: unknown }) => void): unknown
  off(event: 'ephemeral-message', listener: (payload: { senderId: string; message: unknown }) => void): unknown
}

/** Timing of a {@link PresenceTracker}. */
export interface PresenceOptions {
  /** How often to resend our state when nothing changed (default 10 s). */
  readonly heartbeatMs?: number
  /** How long a silent peer stays listed (default 30 s). */
  readonly ttlMs?: number
  /** How long `typing` stays on after the last {@link PresenceTracker.noteTyping} (default 3 s). */
  readonly typingMs?: number
  /** The clock (default `Date.now`); timers use the global `setTimeout`/`setInterval`. */
  readonly now?: () => number
}

const SWEEP_MS = 1000
const GREETING_GAP_MS = 1000

export class PresenceTracker {
  readonly #channel: PresenceChannel
  readonly #heartbeatMs: number
  readonly #ttlMs: number
  readonly #typingMs: number
  readonly #now: () => number
  #self: PresenceSelf
  #activity: { fileId?: string; cursor?: PresenceCursor; typing?: boolean } = {}
  readonly #peers = new Map<string, PeerPresence>()
  #list: readonly PeerPresence[] = []
  readonly #listeners = new Set<() => void>()
  #heartbeat: ReturnType<typeof setInterval> | undefined
  #sweep: ReturnType<typeof setInterval> | undefined
  #typingTimer: ReturnType<typeof setTimeout> | undefined
  #lastGreeting = -Infinity
  #greetingTimer: ReturnType<typeof setTimeout> | undefined
  #running = false

  constructor(channel: PresenceChannel, self: PresenceSelf, options: PresenceOptions = {}) {
    this.#channel = channel
    this.#self = { ...self, color: safeColor(self.color) }
    this.#heartbeatMs = options.heartbeatMs ?? 10_000
    this.#ttlMs = options.ttlMs ?? 30_000
    this.#typingMs = options.typingMs ?? 3000
    this.#now = options.now ?? Date.now
  }

  get running(): boolean {
    return this.#running
  }

  /** Starts listening, announces this peer and starts the heartbeat. Idempotent. */
  start(): void {
    if (this.#running) return
    this.#running = true
    this.#channel.on('ephemeral-message', this.#onMessage)
    this.#sweep = setInterval(() => this.#expire(), Math.min(SWEEP_MS, this.#ttlMs))
    this.#send()
  }

  /** Says goodbye, stops timers and forgets all peers. Idempotent. */
  stop(): void {
    if (!this.#running) return
    this.#channel.broadcast(byeMessage())
    this.#running = false
    this.#channel.off('ephemeral-message', this.#onMessage)
    clearInterval(this.#sweep)
    clearInterval(this.#heartbeat)
    clearTimeout(this.#typingTimer)
    clearTimeout(this.#greetingTimer)
    this.#sweep = this.#heartbeat = this.#typingTimer = this.#greetingTimer = undefined
    this.#peers.clear()
    this.#publish()
  }

  /** Other peers, sorted by name then peer id (a new array only when something changed). */
  peers(): readonly PeerPresence[] {
    return this.#list
  }

  /** Our own state as broadcast. */
  local(): PresenceState {
    return { ...this.#self, ...this.#activity }
  }

  /** Calls `listener` whenever the peer list or our own state changes; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Changes our name or colour. */
  setSelf(self: Partial<Omit<PresenceSelf, 'peerId'>>): void {
    this.#self = { ...this.#self, ...self, color: safeColor(self.color ?? this.#self.color) }
    this.#send()
    this.#notify()
  }

  /** Updates what we are doing; `null` clears a field. Broadcasts only when something changed. */
  setActivity(activity: PresenceActivity): void {
    const next = { ...this.#activity }
    if (activity.fileId !== undefined) {
      if (activity.fileId === null) delete next.fileId
      else next.fileId = activity.fileId
      if (activity.fileId !== this.#activity.fileId && activity.cursor === undefined) delete next.cursor
    }
    if (activity.cursor !== undefined) {
      if (activity.cursor === null) delete next.cursor
      else next.cursor = { anchor: activity.cursor.anchor, head: activity.cursor.head }
    }
    if (activity.typing !== undefined) {
      if (activity.typing) next.typing = true
      else delete next.typing
    }
    if (sameActivity(next, this.#activity)) return
    this.#activity = next
    this.#send()
    this.#notify()
  }

  /** Marks us as typing for a few seconds. */
  noteTyping(): void {
    clearTimeout(this.#typingTimer)
    this.#typingTimer = setTimeout(() => this.setActivity({ typing: false }), this.#typingMs)
    this.setActivity({ typing: true })
  }

  #send(): void {
    if (!this.#running) return
    this.#channel.broadcast(stateMessage(this.local()))
    // A state message is a heartbeat too: restart the interval.
    clearInterval(this.#heartbeat)
    this.#heartbeat = setInterval(() => this.#send(), this.#heartbeatMs)
  }

  #onMessage = (payload: { senderId: string; message: unknown }): void => {
    if (payload === null || typeof payload !== 'object' || typeof payload.senderId !== 'string') return
    const { senderId } = payload
    const read = readPresenceMessage(payload.message, senderId, this.#now())
    if (read === undefined) return
    if (read === 'bye') {
      if (this.#peers.delete(senderId)) this.#publish()
      return
    }
    const known = this.#peers.has(senderId)
    this.#peers.set(senderId, read)
    this.#publish()
    if (!known) this.#greet()
  }

  /**
   * A newcomer has not heard our state yet: tell it now rather than at the next heartbeat. At most one
   * greeting a second, so that many peers joining at once cause no storm.
   */
  #greet(): void {
    if (this.#greetingTimer !== undefined) return
    const wait = this.#lastGreeting + GREETING_GAP_MS - this.#now()
    const greet = (): void => {
      this.#greetingTimer = undefined
      this.#lastGreeting = this.#now()
      this.#send()
    }
    if (wait <= 0) greet()
    else this.#greetingTimer = setTimeout(greet, wait)
  }

  #expire(): void {
    const cutoff = this.#now() - this.#ttlMs
    let changed = false
    for (const [id, peer] of this.#peers) {
      if (peer.lastSeen <= cutoff) {
        this.#peers.delete(id)
        changed = true
      }
    }
    if (changed) this.#publish()
  }

  #publish(): void {
    this.#list = [...this.#peers.values()].sort((a, b) => compare(a.name, b.name) || compare(a.peerId, b.peerId) || compare(a.senderId, b.senderId))
    this.#notify()
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener()
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function sameActivity(a: PresenceActivity, b: PresenceActivity): boolean {
  return (
    a.fileId === b.fileId &&
    a.typing === b.typing &&
    a.cursor?.anchor === b.cursor?.anchor &&
    a.cursor?.head === b.cursor?.head
  )
}
