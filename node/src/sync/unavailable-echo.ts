import type { Message, NetworkAdapterInterface, PeerId } from '@automerge/automerge-repo'
import { WrappingAdapter } from './wrapping-adapter.js'

/** Most documents remembered per peer; a peer naming more has the oldest forgotten (memory stays bounded). */
const MAX_PER_PEER = 10_000

/** What the guard dropped, for metrics. */
export interface UnavailableEchoStats {
  /** `doc-unavailable` answers to a peer's own `doc-unavailable` that were not sent. */
  suppressed: number
}

/**
 * Never answers a peer's `doc-unavailable` with a `doc-unavailable` (Y29).
 *
 * Why: automerge-repo checks the share policy's `access` for every message about a document, its
 * `doc-unavailable` included, and answers a refused one with `doc-unavailable`. Two peers that each refuse
 * the other a document (a relay whose grant was revoked and the relay or members that no longer count it as
 * a member: issue 19) then bounce `doc-unavailable` between them forever, thousands of times a second each
 * way at idle, each time counted as a refusal. A peer that says it does not have a document asked for
 * nothing, so the answer it would get is dropped here, after the repo, where the loop is cut whatever the
 * policy. A `sync` or `request` from that peer about the document makes answers flow again.
 */
export class UnavailableEcho extends WrappingAdapter {
  readonly stats: UnavailableEchoStats = { suppressed: 0 }
  /** Per peer, the documents whose latest message from that peer was `doc-unavailable`. */
  readonly #saidUnavailable = new Map<PeerId, Set<string>>()

  constructor(inner: NetworkAdapterInterface) {
    super(inner)
    this.inner.on('peer-candidate', (p) => this.emit('peer-candidate', p))
    this.inner.on('peer-disconnected', (p) => {
      this.#saidUnavailable.delete(p.peerId)
      this.emit('peer-disconnected', p)
    })
    this.inner.on('message', (m) => {
      this.#note(m)
      this.emit('message', m)
    })
  }

  override send(message: Message): void {
    if (message.type === 'doc-unavailable' && this.#saidUnavailable.get(message.targetId)?.has(message.documentId ?? '') === true) {
      this.stats.suppressed++
      return
    }
    this.inner.send(message)
  }

  #note(message: Message): void {
    const documentId = 'documentId' in message ? message.documentId : undefined
    if (documentId === undefined) return
    let docs = this.#saidUnavailable.get(message.senderId)
    if (message.type !== 'doc-unavailable') {
      docs?.delete(documentId)
      return
    }
    if (docs === undefined) this.#saidUnavailable.set(message.senderId, (docs = new Set()))
    if (docs.size >= MAX_PER_PEER) docs.delete(docs.values().next().value as string)
    docs.add(documentId)
  }
}
