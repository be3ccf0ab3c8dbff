import { next as A } from '@automerge/automerge'
import type { DocHandle, DocumentId, PeerId, Repo } from '@automerge/automerge-repo'
import { sameHeads } from './heads.js'

type SyncState = A.SyncState

interface SyncStateEvent {
  documentId: DocumentId
  peerId: PeerId
  syncState: SyncState
}

/**
 * Sends a local change to every peer syncing that document at once, instead of after automerge-repo's
 * 100 ms sync throttle.
 *
 * Why this way: DocSynchronizer fixes its throttle (`syncDebounceRate`, a class field read once in its
 * constructor) and keeps its per-peer sync states private, and Repo has no option for either. The
 * synchronizer does announce each sync state it stores through its `sync-state` event, passing the very
 * object it keeps. So on a handle's `change` we generate the next sync message from that object, write
 * the result back into it (the synchronizer sees exactly the state it would have produced), and send the
 * message through the repo's network subsystem. When the throttled sync runs later it finds nothing new to
 * send. Changes made in one tick go out together (one microtask per tick), and a peer the share policy has
 * not admitted to a document never gets a message from here (`hasPeer`). The alternative, calling
 * `beginSync` on every change, resets the sync state and costs an extra round trip and duplicate changes.
 *
 * Documents come and go under one id: `Repo.removeFromCache` (a relay unloading idle documents) drops the
 * handle and its synchronizer, and the next message about the document makes new ones. So a watch belongs
 * to a handle, not to an id: a sync state announced for a new handle replaces the old watch and the old
 * synchronizer's states, and a periodic sweep lets go of handles the repo no longer holds (nothing tells us
 * when one is dropped), so neither they nor their sync states stay reachable from here.
 *
 * Pacing (Y25): generating a sync message costs a copy of the peer's sync state into WebAssembly and back
 * (about 0.1 to 0.5 ms), so a relay forwarding every keystroke of many typists to every other peer at once
 * spends its CPU on copies and falls behind. A document is flushed at once when it is quiet; while it is
 * busy, the next flush waits `paceFactor` times as long as the last flush of that document took (at most
 * `maxPaceMs`), and carries every change made meanwhile in one message per peer. A peer whose last message
 * already carried our current heads (automerge-repo's reply to the message that brought the change) is
 * skipped without a copy.
 *
 * Returns a function that stops it.
 */
export interface ImmediateSyncOptions {
  /** How often to let go of handles the repo dropped. Default 5 s. */
  sweepMs?: number
  /** Wait this many times the last flush's duration before the next flush of a busy document. Default 4. */
  paceFactor?: number
  /** Longest such wait. Default 50 ms. */
  maxPaceMs?: number
  /**
   * Peers that forward what they get to others (relays): a flush sends to them after every other peer
   * (Y28), so a member we share a direct link with is handed a change before a forwarder can pass it on.
   */
  isForwarder?: (peerId: PeerId) => boolean
}

export function enableImmediateSync(repo: Repo, options: ImmediateSyncOptions = {}): () => void {
  const states = new Map<DocumentId, Map<PeerId, SyncState>>()
  const watched = new Map<DocumentId, { handle: DocHandle<unknown>; listener: () => void }>()
  const dirty = new Set<DocumentId>()
  /** Per document: when it may be flushed again, and whether a timer waits for that. */
  const pace = new Map<DocumentId, { nextAt: number; timer: ReturnType<typeof setTimeout> | undefined }>()
  const paceFactor = options.paceFactor ?? 4
  const maxPaceMs = options.maxPaceMs ?? 50
  let scheduled = false
  let stopped = false

  const flush = (): void => {
    scheduled = false
    if (stopped) return
    const now = performance.now()
    for (const documentId of dirty) {
      const entry = pace.get(documentId)
      if (entry !== undefined && entry.nextAt > now) {
        entry.timer ??= setTimeout(() => {
          entry.timer = undefined
          if (!stopped) flushDocument(documentId)
        }, entry.nextAt - now)
        continue
      }
      flushDocument(documentId)
    }
    dirty.clear()
  }

  const flushDocument = (documentId: DocumentId): void => {
    const started = performance.now()
    const handle = repo.handles[documentId]
    const synchronizer = repo.synchronizer.docSynchronizers[documentId]
    const peers = states.get(documentId)
    if (handle === undefined || synchronizer === undefined || peers === undefined || !handle.isReady()) return
    if (watched.get(documentId)?.handle !== handle) return
    const doc = handle.doc()
    const heads = A.getHeads(doc)
    const connected = new Set(repo.peers)
    let generated = 0
    const isForwarder = options.isForwarder
    const order = isForwarder === undefined ? [...peers] : [...peers].sort(([x], [y]) => Number(isForwarder(x)) - Number(isForwarder(y)))
    for (const [peerId, state] of order) {
      if (!connected.has(peerId) || !synchronizer.hasPeer(peerId)) continue
      if (sameHeads(state.lastSentHeads, heads)) continue
      const [next, message] = A.generateSyncMessage(doc, state)
      generated++
      replaceInPlace(state, next)
      if (message) repo.networkSubsystem.send({ type: 'sync', targetId: peerId, documentId, data: message })
    }
    if (generated === 0) return
    const ended = performance.now()
    const wait = Math.min(maxPaceMs, (ended - started) * paceFactor)
    const entry = pace.get(documentId)
    if (entry === undefined) pace.set(documentId, { nextAt: ended + wait, timer: undefined })
    else entry.nextAt = ended + wait
  }

  const unwatch = (documentId: DocumentId): void => {
    const entry = watched.get(documentId)
    entry?.handle.off('change', entry.listener)
    watched.delete(documentId)
  }

  const watch = (documentId: DocumentId, handle: DocHandle<unknown>): void => {
    if (watched.get(documentId)?.handle === handle) return
    unwatch(documentId)
    const listener = (): void => {
      dirty.add(documentId)
      if (!scheduled) {
        scheduled = true
        queueMicrotask(flush)
      }
    }
    handle.on('change', listener)
    watched.set(documentId, { handle, listener })
  }

  const onSyncState = ({ documentId, peerId, syncState }: SyncStateEvent): void => {
    const handle = repo.handles[documentId] as DocHandle<unknown> | undefined
    if (handle === undefined) return
    // A new handle means a new synchronizer: the states kept for the old one are no longer its states.
    if (watched.has(documentId) && watched.get(documentId)?.handle !== handle) states.delete(documentId)
    let peers = states.get(documentId)
    if (peers === undefined) states.set(documentId, (peers = new Map()))
    peers.set(peerId, syncState)
    watch(documentId, handle)
  }

  const forget = (documentId: DocumentId): void => {
    states.delete(documentId)
    const entry = pace.get(documentId)
    if (entry?.timer !== undefined) clearTimeout(entry.timer)
    pace.delete(documentId)
    unwatch(documentId)
  }

  const onDelete = ({ documentId }: { documentId: DocumentId }): void => forget(documentId)

  const sweep = (): void => {
    for (const [documentId, { handle }] of watched) {
      if (repo.handles[documentId] !== handle) forget(documentId)
    }
  }
  const sweeper = setInterval(sweep, options.sweepMs ?? 5_000)
  // Node's timers keep a process alive; a browser's setInterval returns a number without unref.
  ;(sweeper as { unref?: () => void }).unref?.()

  // A reconnecting peer starts from a fresh sync state (announced again through `sync-state`).
  const onPeerGone = ({ peerId }: { peerId: PeerId }): void => {
    for (const peers of states.values()) peers.delete(peerId)
  }

  repo.synchronizer.on('sync-state', onSyncState)
  repo.on('delete-document', onDelete)
  repo.networkSubsystem.on('peer-disconnected', onPeerGone)
  return () => {
    stopped = true
    clearInterval(sweeper)
    repo.synchronizer.off('sync-state', onSyncState)
    repo.off('delete-document', onDelete)
    repo.networkSubsystem.off('peer-disconnected', onPeerGone)
    for (const { handle, listener } of watched.values()) handle.off('change', listener)
    for (const { timer } of pace.values()) if (timer !== undefined) clearTimeout(timer)
    pace.clear()
    watched.clear()
    states.clear()
  }
}

function replaceInPlace(target: SyncState, source: SyncState): void {
  const t = target as unknown as Record<string, unknown>
  for (const key of Object.keys(t)) if (!(key in source)) delete t[key]
  Object.assign(t, source)
}
