import type { DocumentId, PeerId, Repo } from '@automerge/automerge-repo'

/**
 * Restarts sync for a (peer, document) pair on the peer's first sync message of each session (RL60).
 *
 * Why: automerge-repo keeps a peer's sync state for a document across sessions (`endSync` forgets the peer
 * but not its state) and resets it only in `beginSync`, which the repo calls on connect only for documents
 * the share policy announces; a relay announces nothing to members. So after a reconnect the relay answers a
 * member with the sync state of the last session, which says the member was already told the relay's
 * heads. With durable acknowledgements (RL23) it often was not: it got the heads of the last write, and the
 * acknowledgement owed for the rest was dropped when that session ended. The member then announces heads
 * the relay holds, the relay finds nothing to say (same heads, already responded), and the member never
 * sees them acknowledged. `beginSync` re-reads the state (forgetting what was sent) and sends the relay's
 * heads, which then go through the durable-ack adapter like any message.
 *
 * Only documents the peer itself asks about, and only after the access check the repo would make.
 */
export function resyncOnNewSession(repo: Repo, access: (peer: PeerId, documentId: DocumentId) => Promise<boolean>): () => void {
  /** Per peer, the documents resynced in its current session (dropped when the session ends). */
  const session = new Map<PeerId, Set<DocumentId>>()
  const net = repo.networkSubsystem
  const onDisconnect = ({ peerId }: { peerId: PeerId }): void => { session.delete(peerId) }
  const onMessage = (m: { type: string; senderId: PeerId; documentId?: DocumentId }): void => {
    if (m.type !== 'sync' || m.documentId === undefined) return
    const peer = m.senderId
    const documentId = m.documentId
    let docs = session.get(peer)
    if (docs === undefined) session.set(peer, (docs = new Set()))
    if (docs.has(documentId)) return
    docs.add(documentId)
    const current = docs
    void access(peer, documentId).then((ok) => {
      const synchronizer = repo.synchronizer.docSynchronizers[documentId]
      // Still the same session, and the repo syncs that document.
      if (!ok || session.get(peer) !== current || synchronizer === undefined) return
      void synchronizer.beginSync([peer]).catch(() => {})
    }, () => {})
  }
  net.on('peer-disconnected', onDisconnect)
  net.on('message', onMessage as never)
  return () => {
    net.off('peer-disconnected', onDisconnect)
    net.off('message', onMessage as never)
    session.clear()
  }
}
