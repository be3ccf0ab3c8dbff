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
  | { readonly state: 'up-to-date'; readonly total: number }

/** The status of `documents` against the peers the repo is syncing with (`peers` narrows them). */
export function syncStatus(repo: Repo, documents: Iterable<DocumentId>, peers: readonly string[] = repo.peers): SyncStatus {
  const storageIds = peers.map((p) => repo.getStorageIdOfPeer(p as PeerId)).filter((s) => s !== undefined)
  if (storageIds.length === 0) return { state: 'offline' }
  const handles = repo.handles
  let done = 0
  let total = 0
  for (const id of documents) {
    total++
    const handle = handles[id]
    if (handle === undefined || !handle.isReady()) continue
    const heads = handle.heads() as readonly string[]
    if (storageIds.some((s) => { const info = handle.getSyncInfo(s); return info !== undefined && sameHeads(info.lastHeads as readonly string[], heads) })) done++
  }
  return done === total ? { state: 'up-to-date', total } : { state: 'syncing', done, total }
}
