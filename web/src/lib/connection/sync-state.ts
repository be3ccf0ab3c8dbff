/**
 * Whether this browser's copy of a project agrees with its connected peers: for each document, are our
 * heads the heads a connected peer last told us it has? Only peers with storage report heads
 * (automerge-repo keys sync info by storage id), which every Quire peer has.
 */
import type { DocumentId, PeerId, Repo } from '@automerge/automerge-repo'
import { sameHeads } from '@quire/node'

export type SyncStatus =
  | { readonly state: 'offline' }
  | { readonly state: 'syncing'; readonly done: number; readonly total: number }
  /** `confirmedBy`: the peers whose last word says they hold our heads of every one of the documents. */
  | { readonly state: 'up-to-date'; readonly total: number; readonly confirmedBy: readonly string[] }

/** The status of `documents` against the peers the repo is syncing with (`peers` narrows them). */
export function syncStatus(repo: Repo, documents: Iterable<DocumentId>, peers: readonly string[] = repo.peers): SyncStatus {
  const byStorage = peers.flatMap((p) => {
    const storageId = repo.getStorageIdOfPeer(p as PeerId)
    return storageId === undefined ? [] : [{ peer: p, storageId }]
  })
  if (byStorage.length === 0) return { state: 'offline' }
  const handles = repo.handles
  // Peers that confirmed every document so far; narrowed document by document.
  let confirming = new Set(byStorage.map((b) => b.peer))
  let done = 0
  let total = 0
  for (const id of documents) {
    total++
    const handle = handles[id]
    if (handle === undefined || !handle.isReady()) {
      confirming = new Set()
      continue
    }
    const heads = handle.heads() as readonly string[]
    const holders = byStorage.filter(({ storageId }) => {
      const info = handle.getSyncInfo(storageId)
      return info !== undefined && sameHeads(info.lastHeads as readonly string[], heads)
    }).map((b) => b.peer)
    if (holders.length > 0) done++
    confirming = new Set(holders.filter((p) => confirming.has(p)))
  }
  return done === total ? { state: 'up-to-date', total, confirmedBy: [...confirming].sort() } : { state: 'syncing', done, total }
}
