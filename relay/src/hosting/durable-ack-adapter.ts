import { next as A } from '@automerge/automerge'
import { FairSlots } from './fair-slots.js'
import type { DocumentId, Message, NetworkAdapterInterface, PeerId } from '@automerge/automerge-repo'
import { WrappingAdapter } from '@quire/node'

/** Options of {@link DurableAckAdapter}. */
export interface DurableAckAdapterInit {
  /** The adapter that talks to peers (the libp2p sync adapter). */
  inner: NetworkAdapterInterface
  /**
   * Writes the document as it is now to durable storage; resolves once it is on disk. Called after the
   * messages to release were generated, so what it writes contains every change their heads name.
   */
  persist: (documentId: DocumentId) => Promise<void>
  /**
   * Whether the document as loaded now contains all these heads. With it, only messages to a peer whose
   * changes may not be on disk yet are held (they are the ones that can acknowledge something), and
   * everything else goes at once; without it, every sync message waits for a write.
   */
  hasHeads?: (documentId: DocumentId, heads: string[]) => boolean
  /**
   * Checks an incoming message before the repo sees it. Returns a refusal code to drop it (the sender gets
   * `doc-unavailable` for the document instead), or `undefined` to let it through.
   */
  admit?: (message: Message) => string | undefined
  /** Told about refusals and failed writes. */
  log?: (line: string) => void
  /**
   * Writes under way at once, shared round-robin among the peers the held messages go to (a flood of one
   * peer's documents then delays a member's write by one turn, not by the whole flood). Default 2: LevelDB
   * serialises synced writes anyway, so more only deepens the queue in front of everyone.
   */
  maxConcurrentWrites?: number
}

/** Counters of {@link DurableAckAdapter}, exported as metrics. */
export interface DurableAckStats {
  /** Sync messages waiting for their document to reach the disk. */
  held: number
  /** Writes done to release held messages. */
  persists: number
  /** Total time spent in those writes (ms). */
  persistMs: number
  /** Writes that failed; their messages were dropped, never sent. */
  persistFailures: number
  /** Incoming messages refused by `admit`, by code. */
  refused: Record<string, number>
}

/** A held message and the sync session of its target it belongs to. */
interface Held {
  message: Message
  session: number
}

interface DocQueue {
  messages: Held[]
  running: boolean
}

/**
 * Makes the relay's acknowledgements honest. A peer learns that the relay has a change when the relay's
 * next sync message for that document carries heads that include it; automerge-repo, though, writes to
 * storage on a 100 ms debounce, so it could acknowledge a change that a crash then loses. This adapter sits
 * between the repo and the network and holds an outgoing `sync`/`request` message for a document until a
 * write of that document, begun after the message was generated, has reached the disk, whenever the message
 * goes to a peer that sent the document changes not yet known to be on disk: only such a message can
 * acknowledge them. A peer's changes count as on disk once a write finished that started when the loaded
 * document already contained the heads that peer last announced (checked just before the write starts). Messages to everyone else, such as
 * one member's keystrokes forwarded to the others, go at once: holding them too made every member wait for
 * every write, and a few typists queued up seconds of latency. Other messages (ephemeral, doc-unavailable)
 * carry no document state and pass straight through.
 *
 * Why a wrapper: the repo generates sync messages in its private DocSynchronizer and offers no hook
 * between "message generated" and "message sent" other than the network adapter's `send`.
 */
export class DurableAckAdapter extends WrappingAdapter {
  readonly stats: DurableAckStats = { held: 0, persists: 0, persistMs: 0, persistFailures: 0, refused: {} }
  readonly #persist: (documentId: DocumentId) => Promise<void>
  readonly #admit: ((message: Message) => string | undefined) | undefined
  readonly #log: (line: string) => void
  readonly #queues = new Map<DocumentId, DocQueue>()
  /** Per peer, how many of its sync sessions have ended; a held message of an ended session is dropped. */
  readonly #sessions = new Map<string, number>()
  readonly #slots: FairSlots
  readonly #hasHeads: ((documentId: DocumentId, heads: string[]) => boolean) | undefined
  /** Per document, the peers whose announced heads no finished write is known to hold. */
  readonly #unwritten = new Map<DocumentId, Map<string, { heads: string[]; version: number }>>()
  #version = 0
  /** Start times of the writes under way. */
  readonly #writing = new Set<number>()
  #closed = false

  constructor(init: DurableAckAdapterInit) {
    super(init.inner)
    this.#persist = init.persist
    this.#admit = init.admit
    this.#hasHeads = init.hasHeads
    this.#log = init.log ?? ((line) => console.error(line))
    this.#slots = new FairSlots(init.maxConcurrentWrites ?? 2)
    this.inner.on('peer-candidate', (p) => this.emit('peer-candidate', p))
    this.inner.on('peer-disconnected', (p) => {
      // A held message belongs to the sync session that just ended; sent on the next session it would
      // describe a sync state the peer no longer has.
      this.#dropFor(p.peerId)
      this.emit('peer-disconnected', p)
    })
    this.inner.on('message', (m) => this.#receive(m))
  }

  override disconnect(): void {
    this.#closed = true
    super.disconnect()
  }

  override send(message: Message): void {
    if ((message.type !== 'sync' && message.type !== 'request') || this.#closed) {
      this.inner.send(message)
      return
    }
    const documentId = message.documentId as DocumentId
    let queue = this.#queues.get(documentId)
    const target = message.targetId
    // Held if it can acknowledge the target's unwritten changes, or if earlier messages to the same peer are
    // still held (nothing may overtake them).
    const mustHold = this.#hasHeads === undefined ||
      this.#unwritten.get(documentId)?.has(target) === true ||
      queue?.messages.some((h) => h.message.targetId === target) === true
    if (!mustHold) {
      this.inner.send(message)
      return
    }
    if (queue === undefined) this.#queues.set(documentId, (queue = { messages: [], running: false }))
    queue.messages.push({ message, session: this.#sessions.get(message.targetId) ?? 0 })
    this.stats.held++
    if (!queue.running) void this.#drain(documentId, queue)
  }

  /** Whether messages about this document are waiting for it to reach the disk. */
  holding(documentId: DocumentId): boolean {
    return this.#queues.has(documentId)
  }

  /**
   * How long (ms) the oldest write asked for and not finished has waited: how far the disk is behind.
   * Writes wait for a slot, then in libuv's thread pool behind every other disk operation, so this grows
   * with any backlog.
   */
  writeLagMs(now = performance.now()): number {
    let oldest = now
    for (const started of this.#writing) oldest = Math.min(oldest, started)
    return now - oldest
  }

  /** Resolves once every message held now has been written out or dropped. */
  async settled(): Promise<void> {
    while ([...this.#queues.values()].some((q) => q.running || q.messages.length > 0)) {
      await new Promise((r) => setTimeout(r, 5))
    }
  }

  async #drain(documentId: DocumentId, queue: DocQueue): Promise<void> {
    queue.running = true
    try {
      // The repo sends its reply to a sync message from inside the update that applies it; waiting one
      // microtask lets that update finish, so the write below sees the change the reply acknowledges.
      await Promise.resolve()
      while (queue.messages.length > 0) {
        // Two writes may be asked for in the same microsecond; a unique key keeps both counted.
        let key = performance.now()
        while (this.#writing.has(key)) key += 1e-6
        this.#writing.add(key)
        // Charged to the peer the first message goes to: for a document a peer floods in, that peer.
        const release = await this.#slots.acquire(queue.messages[0]!.message.targetId)
        const batch = queue.messages.splice(0)
        // Decided in the same tick the write starts: a change the document holds now is in what it writes.
        const covered = this.#coveredNow(documentId)
        const started = performance.now()
        let ok = true
        try {
          await this.#persist(documentId)
        } catch (err) {
          ok = false
          this.stats.persistFailures++
          this.#log(`[quire-relay] RELAY_PERSIST_FAILED: could not write document ${documentId} (${(err as Error).message}); not acknowledging it`)
        }
        this.#writing.delete(key)
        release()
        this.stats.persists++
        this.stats.persistMs += performance.now() - started
        this.stats.held -= batch.length
        if (!ok || this.#closed) continue
        this.#markWritten(documentId, covered)
        for (const { message, session } of batch) {
          if (session === (this.#sessions.get(message.targetId) ?? 0)) this.inner.send(message)
        }
      }
    } finally {
      queue.running = false
      if (queue.messages.length === 0) this.#queues.delete(documentId)
    }
  }

  /** Peers whose announced heads the loaded document contains now, with the version of that announcement. */
  #coveredNow(documentId: DocumentId): Array<[string, number]> {
    const peers = this.#unwritten.get(documentId)
    if (peers === undefined || this.#hasHeads === undefined) return []
    return [...peers].filter(([, p]) => this.#hasHeads!(documentId, p.heads)).map(([peer, p]) => [peer, p.version])
  }

  #markWritten(documentId: DocumentId, covered: Array<[string, number]>): void {
    const peers = this.#unwritten.get(documentId)
    if (peers === undefined) return
    // A peer that announced newer heads during the write stays pending: the write may not hold them.
    for (const [peer, version] of covered) if (peers.get(peer)?.version === version) peers.delete(peer)
    if (peers.size === 0) this.#unwritten.delete(documentId)
  }

  /**
   * Remembers the heads a peer's sync message announces: every change of that peer so far is an ancestor of
   * them, whether the message carries changes, a whole document, or only heads with changes still to come.
   */
  #noteIncoming(message: Message): void {
    if (this.#hasHeads === undefined || (message.type !== 'sync' && message.type !== 'request') || !('data' in message)) return
    let heads: string[]
    try {
      heads = A.decodeSyncMessage(message.data as Uint8Array).heads
    } catch {
      heads = ['undecodable'] // never contained: the peer's messages keep waiting for writes, as without this
    }
    const documentId = message.documentId as DocumentId
    let peers = this.#unwritten.get(documentId)
    if (peers === undefined) this.#unwritten.set(documentId, (peers = new Map()))
    peers.set(message.senderId, { heads, version: ++this.#version })
  }

  #dropFor(peerId: PeerId): void {
    for (const [documentId, peers] of this.#unwritten) {
      peers.delete(peerId)
      if (peers.size === 0) this.#unwritten.delete(documentId)
    }
    this.#sessions.set(peerId, (this.#sessions.get(peerId) ?? 0) + 1)
    for (const queue of this.#queues.values()) {
      const kept = queue.messages.filter((h) => h.message.targetId !== peerId)
      this.stats.held -= queue.messages.length - kept.length
      queue.messages.splice(0, queue.messages.length, ...kept)
    }
  }

  #receive(message: Message): void {
    const refusal = this.#admit?.(message)
    if (refusal === undefined) {
      this.#noteIncoming(message)
      this.emit('message', message)
      return
    }
    this.stats.refused[refusal] = (this.stats.refused[refusal] ?? 0) + 1
    const documentId = 'documentId' in message ? (message.documentId as DocumentId | undefined) : undefined
    if (documentId !== undefined && this.peerId !== undefined) {
      this.inner.send({ type: 'doc-unavailable', documentId, senderId: this.peerId, targetId: message.senderId })
    }
  }
}
