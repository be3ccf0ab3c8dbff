import { FairSlots } from './fair-slots.js'
import type { DocumentId, Message, NetworkAdapterInterface, PeerId } from '@automerge/automerge-repo'
import { readSyncMessage, rewriteSyncMessage, sameHeads, WrappingAdapter } from '@quire/node'

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
   * The heads of the document as loaded now, or `undefined` if it is not loaded. With it (and `hasHeads`),
   * messages to a peer with unwritten changes are not held at all: they go at once with the heads of the
   * document's last write in place of their own, and an acknowledgement follows the next write (RL23).
   */
  heads?: (documentId: DocumentId) => string[] | undefined
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
  /** Messages sent at once with the heads of the last write in place of their own. */
  rewritten: number
  /** Acknowledgements sent after a write (a peer's last message with the heads it carried, no changes). */
  acknowledgements: number
}

/** Documents whose written heads are remembered (a few hundred bytes each). */
const MAX_DURABLE_KEPT = 10_000

/**
 * A peer sent a message with the heads of the last write in place of its own: after the next write it is
 * owed an acknowledgement of those heads, built from the latest message it got (`message`).
 */
interface Owed {
  heads: string[]
  message: Message & { data: Uint8Array }
  version: number
}

interface DocQueue {
  /**
   * Messages held until a write finishes, in order, including those of the write under way (removed when it
   * ends): while one to a peer is here, later ones to that peer wait behind it. A peer that leaves takes
   * its held messages and owed acknowledgements with it, so what is here belongs to the current session.
   */
  messages: Message[]
  running: boolean
  /** Acknowledgements owed, by peer. */
  owed: Map<string, Owed>
  /** The newest `Owed.version` a write under way or done already covers. */
  covered: number
}

/**
 * Makes the relay's acknowledgements honest (RL20-RL23). A peer learns that the relay has a change when the
 * relay's next sync message for that document carries heads that include it; automerge-repo, though, writes
 * to storage on a 100 ms debounce, so it could acknowledge a change that a crash then loses. This adapter sits
 * between the repo and the network and makes sure that the heads a peer with unwritten changes sees from the
 * relay are on disk, without making it wait for the disk for anything else:
 *
 * - A peer "has unwritten changes" from the moment its sync message announces heads until a write finishes
 *   that started when the loaded document already contained those heads.
 * - A message to such a peer goes at once, but with the heads of the document's last finished write in
 *   place of its own (its changes, need and have unchanged): the peer gets the other members' keystrokes
 *   without waiting for the disk, and learns only heads that are on disk. The relay then owes that peer an
 *   acknowledgement: after the next write (begun after the message, so it holds the message's own heads) it
 *   sends the peer its latest message again with those heads and without changes. The heads a peer sees
 *   thus only grow, and every one of them is on disk.
 * - Before the document's first write in this process there are no such heads; then the message is held
 *   until a write finishes, as is every later message to that peer for that document (nothing overtakes a
 *   held message: the peer would get changes before their dependencies and have to ask again).
 * - Messages to everyone else, such as one member's keystrokes forwarded to readers, go at once unchanged,
 *   and so do messages that carry no document state (ephemeral, doc-unavailable).
 *
 * Without `heads`/`hasHeads` every sync message is held until a write begun after it has finished.
 *
 * Why a wrapper: the repo generates sync messages in its private DocSynchronizer and offers no hook
 * between "message generated" and "message sent" other than the network adapter's `send`.
 */
export class DurableAckAdapter extends WrappingAdapter {
  readonly stats: DurableAckStats
  readonly #queues = new Map<DocumentId, DocQueue>()
  readonly #persist: (documentId: DocumentId) => Promise<void>
  readonly #admit: ((message: Message) => string | undefined) | undefined
  readonly #log: (line: string) => void
  readonly #slots: FairSlots
  readonly #hasHeads: ((documentId: DocumentId, heads: string[]) => boolean) | undefined
  readonly #heads: ((documentId: DocumentId) => string[] | undefined) | undefined
  /** Per document, the peers whose announced heads no finished write is known to hold. */
  readonly #unwritten = new Map<DocumentId, Map<string, { heads: string[]; version: number }>>()
  /** Per document, its heads when its last successful write (in this process) began: on disk. */
  readonly #durable = new Map<DocumentId, string[]>()
  #version = 0
  /** Start times of the writes under way. */
  readonly #writing = new Set<number>()
  #closed = false

  constructor(init: DurableAckAdapterInit) {
    super(init.inner)
    const queues = this.#queues
    this.stats = {
      get held() { return [...queues.values()].reduce((n, q) => n + q.messages.length, 0) },
      persists: 0, persistMs: 0, persistFailures: 0, refused: {}, rewritten: 0, acknowledgements: 0,
    }
    this.#persist = init.persist
    this.#admit = init.admit
    this.#hasHeads = init.hasHeads
    this.#heads = init.hasHeads === undefined ? undefined : init.heads
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
    const target = message.targetId
    const queued = this.#queues.get(documentId)
    if (queued?.messages.some((m) => m.targetId === target) !== true) {
      const owed = queued?.owed.get(target)
      const unwritten = this.#unwritten.get(documentId)?.has(target) === true
      if (this.#hasHeads !== undefined && !unwritten && owed === undefined) {
        this.inner.send(message)
        return
      }
      if (this.#heads !== undefined && message.type === 'sync' && this.#sendRewritten(documentId, message)) return
      if (this.#hasHeads !== undefined && message.type === 'request') {
        this.inner.send(message) // a request carries no heads of ours: it acknowledges nothing
        return
      }
    }
    const queue = this.#queue(documentId)
    queue.messages.push(message)
    if (!queue.running) void this.#drain(documentId, queue)
  }

  /** Whether messages or acknowledgements about this document are waiting for it to reach the disk. */
  holding(documentId: DocumentId): boolean {
    const queue = this.#queues.get(documentId)
    return queue !== undefined && (queue.running || queue.messages.length > 0 || queue.owed.size > 0)
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

  /** Resolves once every write asked for now has finished and its messages were sent or dropped. */
  async settled(): Promise<void> {
    while ([...this.#queues.values()].some((q) => q.running || q.messages.length > 0)) {
      await new Promise((r) => setTimeout(r, 5))
    }
  }

  /** Sends `message` at once with the heads of the last write, and owes its target an acknowledgement. */
  #sendRewritten(documentId: DocumentId, message: Message): boolean {
    const durable = this.#durable.get(documentId)
    const data = 'data' in message ? message.data : undefined
    // Empty heads would tell the peer we lost everything (automerge then resends all it has).
    if (durable === undefined || durable.length === 0 || !(data instanceof Uint8Array)) return false
    const own = readSyncMessage(data)?.heads
    if (own === undefined) return false
    const queue = this.#queue(documentId)
    const target = message.targetId
    if (sameHeads(own, durable)) {
      // Its own heads are on disk: it acknowledges everything owed so far (the document only grows).
      queue.owed.delete(target)
      this.inner.send(message)
      return true
    }
    const rewritten = rewriteSyncMessage(data, durable)
    if (rewritten === undefined) return false
    queue.owed.set(target, { heads: own, message: { ...message, data }, version: ++this.#version })
    this.stats.rewritten++
    this.inner.send({ ...message, data: rewritten })
    if (!queue.running) void this.#drain(documentId, queue)
    return true
  }

  #queue(documentId: DocumentId): DocQueue {
    let queue = this.#queues.get(documentId)
    if (queue === undefined) this.#queues.set(documentId, (queue = { messages: [], running: false, owed: new Map(), covered: 0 }))
    return queue
  }

  async #drain(documentId: DocumentId, queue: DocQueue): Promise<void> {
    queue.running = true
    try {
      // The repo sends its reply to a sync message from inside the update that applies it; waiting one
      // microtask lets that update finish, so the write below sees the change the reply acknowledges.
      await Promise.resolve()
      while (!this.#closed && (queue.messages.length > 0 || [...queue.owed.values()].some((o) => o.version > queue.covered))) {
        // Two writes may be asked for in the same microsecond; a unique key keeps both counted.
        let key = performance.now()
        while (this.#writing.has(key)) key += 1e-6
        this.#writing.add(key)
        // Charged to the peer the first message goes to: for a document a peer floods in, that peer.
        const release = await this.#slots.acquire(queue.messages[0]?.targetId ?? [...queue.owed.keys()][0]!)
        const batch = new Set(queue.messages)
        // Decided in the same tick the write starts: a change the document holds now is in what it writes.
        const covered = this.#coveredNow(documentId)
        const headsAtStart = this.#heads?.(documentId)
        const owedAtStart = [...queue.owed].map(([peer, o]) => [peer, o.heads, o.version] as const)
        queue.covered = this.#version
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
        const written = ok && !this.#closed
        if (written) {
          this.#markWritten(documentId, covered)
          if (headsAtStart !== undefined && headsAtStart.length > 0) this.#setDurable(documentId, headsAtStart)
        }
        // Those of the batch still here go (a failed write drops them); the rest came during the write.
        const sent = queue.messages.filter((m) => batch.has(m))
        queue.messages = queue.messages.filter((m) => !batch.has(m))
        if (written) for (const message of sent) this.inner.send(message)
        if (written && headsAtStart !== undefined) this.#acknowledge(queue, owedAtStart)
      }
    } finally {
      queue.running = false
      if (queue.messages.length === 0 && queue.owed.size === 0) this.#queues.delete(documentId)
    }
  }

  /**
   * Remembers a document's written heads, most recent last; past {@link MAX_DURABLE_KEPT} documents the
   * longest unwritten one is forgotten (its next message to a peer with unwritten changes then waits for
   * one write, as before its first).
   */
  #setDurable(documentId: DocumentId, heads: string[]): void {
    this.#durable.delete(documentId)
    this.#durable.set(documentId, heads)
    if (this.#durable.size > MAX_DURABLE_KEPT) this.#durable.delete(this.#durable.keys().next().value!)
  }

  /** After a write: the heads owed when it began are on disk; tell each peer (its latest message, no changes). */
  #acknowledge(queue: DocQueue, owedAtStart: ReadonlyArray<readonly [string, string[], number]>): void {
    for (const [peer, heads, version] of owedAtStart) {
      const owed = queue.owed.get(peer)
      if (owed === undefined || owed.version < version) continue
      const ack = rewriteSyncMessage(owed.message.data, heads, { dropChanges: true })
      if (owed.version === version) queue.owed.delete(peer)
      if (ack === undefined) continue
      this.stats.acknowledgements++
      this.inner.send({ ...owed.message, data: ack })
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
    // Never contained when unreadable: the peer's messages are then treated as acknowledging, as without this.
    const heads = message.data instanceof Uint8Array ? readSyncMessage(message.data)?.heads ?? ['unreadable'] : ['unreadable']
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
    for (const [documentId, queue] of this.#queues) {
      queue.owed.delete(peerId)
      queue.messages = queue.messages.filter((m) => m.targetId !== peerId)
      if (!queue.running && queue.messages.length === 0 && queue.owed.size === 0) this.#queues.delete(documentId)
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
