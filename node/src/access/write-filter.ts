/**
 * Write enforcement at the network layer (A28 to A31). automerge-repo applies every change a readable
 * peer sends, and offers no hook between "sync message received" and "changes applied" other than the
 * network adapter, so this adapter sits between the repo and the network and, for a sync message about a
 * tracked project's document from a peer that may not change it, removes the Automerge changes and keeps
 * the rest (heads, need, have). The repo then still answers what that peer needs, so a reader keeps
 * receiving updates, and never applies a foreign change.
 *
 * Stripping alone makes the two sides ping-pong: our sync state sees the peer's heads, asks for the
 * missing changes (`need`), the peer sends them again, they are stripped again, and so on forever. So a
 * stripped message identical to the previous one delivered from that peer for that document is dropped,
 * unless what we sent that peer about the document changed in between (our side moved on and the peer's
 * answer is news). Each change of either side costs a bounded number of messages.
 */
import { next as A } from '@automerge/automerge'
import type { DocumentId, Message, NetworkAdapterInterface } from '@automerge/automerge-repo'
import { WrappingAdapter } from '../sync/wrapping-adapter.js'
import type { ProjectIndex } from './project-index.js'

/** Remembered (peer, document) pairs at most, for the loop guard and for logging once. */
const MAX_REMEMBERED = 10_000

/** A dropped set of changes, as logged. */
export interface DroppedChanges {
  readonly code: 'ACCESS_CHANGES_DROPPED'
  readonly peer: string
  readonly documentId: string
  /** The project whose membership refused the peer. */
  readonly project: string
  /** Automerge changes (or document chunks) removed from the message. */
  readonly changes: number
}

/** Counters of {@link AccessWriteFilter}. */
export interface WriteFilterStats {
  /** Changes removed from messages of peers without a write grant. */
  changesDropped: number
  /** Messages that had changes removed. */
  messagesStripped: number
  /** Stripped messages not delivered at all because they repeated the previous one (the loop guard). */
  repeatsDropped: number
  /** Counters by refusal code, for metrics: `ACCESS_CHANGES_DROPPED` counts changes. */
  refusals: { ACCESS_CHANGES_DROPPED?: number }
}

/** Options of {@link AccessWriteFilter}. */
export interface AccessWriteFilterInit {
  readonly inner: NetworkAdapterInterface
  readonly index: ProjectIndex
  /** This peer's clock (ms since 1970), to judge grant expiry. Default `Date.now`. */
  readonly now?: () => number
  /** Told once per peer and document (until that peer may write it again) that its changes were dropped. */
  readonly log?: (dropped: DroppedChanges) => void
}

interface PairState {
  /** The last stripped message delivered from the peer. */
  lastIn?: Uint8Array
  /** The last sync message we sent the peer. */
  lastOut?: Uint8Array
  /** Whether what we sent changed since `lastIn` was delivered. */
  outChanged: boolean
  logged: boolean
}

/** See the module comment; use it through {@link accessWriteFilter} and `createQuireRepo`'s `wrapNetwork`. */
export class AccessWriteFilter extends WrappingAdapter {
  readonly stats: WriteFilterStats = { changesDropped: 0, messagesStripped: 0, repeatsDropped: 0, refusals: {} }
  readonly #index: ProjectIndex
  readonly #now: () => number
  readonly #log: ((dropped: DroppedChanges) => void) | undefined
  /** Per peer, the tail of its events: decisions are async, and a peer's events must keep their order. */
  readonly #queues = new Map<string, Promise<void>>()
  readonly #pairs = new Map<string, PairState>()

  constructor(init: AccessWriteFilterInit) {
    super(init.inner)
    this.#index = init.index
    this.#now = init.now ?? Date.now
    this.#log = init.log
    this.inner.on('peer-candidate', (p) => this.#inOrder(p.peerId, () => { this.emit('peer-candidate', p) }))
    this.inner.on('peer-disconnected', (p) => this.#inOrder(p.peerId, () => {
      this.#forget(p.peerId)
      this.emit('peer-disconnected', p)
    }))
    this.inner.on('message', (m) => this.#inOrder(m.senderId, () => this.#receive(m)))
  }

  override send(message: Message): void {
    if ((message.type === 'sync' || message.type === 'request') && message.data instanceof Uint8Array) {
      const pair = this.#pairs.get(pairKey(message.targetId, message.documentId))
      if (pair !== undefined && !sameBytes(pair.lastOut, message.data)) {
        pair.lastOut = message.data
        pair.outChanged = true
      }
    }
    this.inner.send(message)
  }

  /** Resolves once every event received so far has been handed on (or dropped). */
  async settled(): Promise<void> {
    while (this.#queues.size > 0) await Promise.all([...this.#queues.values()])
  }

  #inOrder(peer: string, task: () => void | Promise<void>): void {
    const previous = this.#queues.get(peer)
    if (previous === undefined) {
      // The usual case for anything but a sync message: nothing of this peer's is waiting.
      const result = task()
      if (result === undefined) return
      this.#track(peer, result)
      return
    }
    this.#track(peer, previous.then(task))
  }

  #track(peer: string, work: Promise<void>): void {
    const tail = work.catch((err: unknown) => console.error('[quire-access] write filter failed on a message', err))
    this.#queues.set(peer, tail)
    void tail.then(() => {
      if (this.#queues.get(peer) === tail) this.#queues.delete(peer)
    })
  }

  #receive(message: Message): void | Promise<void> {
    if ((message.type !== 'sync' && message.type !== 'request') || !(message.data instanceof Uint8Array)) {
      this.emit('message', message)
      return
    }
    if (message.documentId === undefined) {
      this.emit('message', message)
      return
    }
    const projects = this.#index.projectsOf(message.documentId)
    // Documents of no tracked project are the read policy's business (A24): it refuses them by default.
    if (projects.length === 0) {
      this.emit('message', message)
      return
    }
    return this.#check(message as Message & { data: Uint8Array; documentId: DocumentId }, projects)
  }

  async #check(message: Message & { data: Uint8Array; documentId: DocumentId }, projects: readonly DocumentId[]): Promise<void> {
    const at = this.#now()
    let refusedBy: DocumentId | undefined
    // Like reading (A25): a document linked from several projects takes changes only from writers of all.
    for (const project of projects) {
      if (!(await this.#index.canWrite(project, message.senderId, at))) {
        refusedBy = project
        break
      }
    }
    const key = pairKey(message.senderId, message.documentId)
    if (refusedBy === undefined) {
      this.#pairs.delete(key)
      this.emit('message', message)
      return
    }
    let decoded
    try {
      decoded = A.decodeSyncMessage(message.data)
    } catch {
      return // the sync adapter refuses undecodable messages (Y5); never hand on what we cannot strip
    }
    const dropped = decoded.changes.length
    // Always re-encoded from the decoded form, never the peer's own bytes: whatever the decoder does not
    // surface as `changes` (a whole-document chunk included) cannot reach the repo.
    const data = A.encodeSyncMessage({ ...decoded, changes: [] })
    if (dropped > 0) {
      this.stats.changesDropped += dropped
      this.stats.messagesStripped++
      this.stats.refusals.ACCESS_CHANGES_DROPPED = (this.stats.refusals.ACCESS_CHANGES_DROPPED ?? 0) + dropped
    }
    let pair = this.#pairs.get(key)
    if (pair === undefined) {
      if (this.#pairs.size >= MAX_REMEMBERED) this.#pairs.clear()
      this.#pairs.set(key, (pair = { outChanged: true, logged: false }))
    }
    if (dropped > 0 && !pair.logged) {
      pair.logged = true
      this.#log?.({ code: 'ACCESS_CHANGES_DROPPED', peer: message.senderId, documentId: message.documentId, project: refusedBy, changes: dropped })
    }
    if (!pair.outChanged && sameBytes(pair.lastIn, data)) {
      this.stats.repeatsDropped++
      return
    }
    pair.lastIn = data
    pair.outChanged = false
    this.emit('message', { ...message, data })
  }

  #forget(peer: string): void {
    const prefix = `${peer}\n`
    for (const key of this.#pairs.keys()) if (key.startsWith(prefix)) this.#pairs.delete(key)
  }
}

/**
 * A `wrapNetwork` entry for `createQuireRepo` that enforces write grants with `index`; `onCreate` receives
 * the filter (for its stats).
 */
export function accessWriteFilter(
  init: Omit<AccessWriteFilterInit, 'inner'> & { onCreate?: (filter: AccessWriteFilter) => void },
): (inner: NetworkAdapterInterface) => NetworkAdapterInterface {
  return (inner) => {
    const filter = new AccessWriteFilter({ ...init, inner })
    init.onCreate?.(filter)
    return filter
  }
}

function pairKey(peer: string, documentId: string | undefined): string {
  return `${peer}\n${documentId ?? ''}`
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
