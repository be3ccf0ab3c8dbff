import type { DocumentId, Repo } from '@automerge/automerge-repo'

/** Options of {@link DocUnloader}. */
export interface DocUnloaderInit {
  repo: Repo
  /** Documents kept in memory at most. */
  maxLoaded: number
  /** A document untouched for this long (ms) is unloaded. */
  idleMs: number
  /** Peers whose sync does not keep a document loaded (federated relays stay connected forever). */
  isBackgroundPeer: (peerId: string) => boolean
  /** Documents never unloaded (allowlisted projects, whose links the policy follows). */
  isPinned?: (documentId: string) => boolean
  /** How often to look (ms). */
  intervalMs?: number
}

/** Longest stretch of unloading before the sweep yields to the event loop. */
const SLICE_MS = 20
/** A document touched this recently may have a change the repo's save throttle has not written yet. */
const RECENT_MS = 2_000

/**
 * Unloads hosted documents nobody is using, so a relay hosting many documents holds only the active ones
 * in memory. A document is in use while a member's peer (not a federated relay) syncs it, or was touched
 * less than `idleMs` ago. Beyond `maxLoaded`, idle documents go least recently used first; documents in use
 * are never unloaded. An unloaded document is loaded again from disk when a peer next asks for it.
 *
 * Uses `Repo.removeFromCache` (automerge-repo 2.5, marked experimental): it unloads the handle and removes
 * its synchronizer.
 */
export class DocUnloader {
  unloaded = 0
  readonly #init: DocUnloaderInit
  /** Last touch per document; Map order is least recently used first. */
  readonly #touched = new Map<DocumentId, number>()
  readonly #timer: NodeJS.Timeout
  #running = false
  #stopped = false

  constructor(init: DocUnloaderInit) {
    this.#init = init
    const interval = init.intervalMs ?? Math.max(250, Math.min(1_000, init.idleMs / 4))
    this.#timer = setInterval(() => void this.sweep(), interval)
    this.#timer.unref()
  }

  /** Records use of a document (a message to or from a peer about it). */
  touch(documentId: DocumentId): void {
    this.#touched.delete(documentId)
    this.#touched.set(documentId, Date.now())
  }

  /** Number of documents in memory. */
  get loaded(): number {
    return Object.values(this.#init.repo.handles).filter((h) => h.isReady()).length
  }

  /** Stops sweeping; a sweep under way ends at its next document (the relay closes its database next). */
  stop(): void {
    this.#stopped = true
    clearInterval(this.#timer)
  }

  /** Unloads what should be unloaded now; one sweep at a time. */
  async sweep(): Promise<void> {
    if (this.#running || this.#stopped) return
    this.#running = true
    try {
      const { repo, maxLoaded, idleMs } = this.#init
      const ready = Object.values(repo.handles).filter((h) => h.isReady())
      const now = Date.now()
      const candidates = ready
        .filter((h) => !this.#inUse(h.documentId))
        .sort((a, b) => (this.#touched.get(a.documentId) ?? 0) - (this.#touched.get(b.documentId) ?? 0))
      let excess = ready.length - maxLoaded
      let sliceStart = performance.now()
      for (const h of candidates) {
        const touched = this.#touched.get(h.documentId) ?? 0
        const idle = now - touched >= idleMs
        if ((!idle && excess <= 0) || this.#stopped) break
        // Unloading costs a few ms per document (automerge-repo encodes heads and diffs the document away);
        // when a member with thousands of documents leaves, all of them go at once. In slices, so that
        // sync, HTTP and disk completions are not held up behind a sweep of many seconds.
        if (performance.now() - sliceStart > SLICE_MS) {
          await new Promise((r) => setImmediate(r))
          sliceStart = performance.now()
        }
        // Written first if touched lately: removeFromCache (automerge-repo 2.5.6) writes nothing, it only drops
        // the handle and its synchronizer, so a change still inside the repo's save throttle (100 ms) would be
        // lost. A failed write is not fatal here: acknowledged changes are already on disk (RL20), and a peer
        // resends the others.
        if (Date.now() - touched < RECENT_MS) await repo.flush([h.documentId]).catch(() => {})
        if (this.#inUse(h.documentId) || !h.isReady() || this.#stopped) continue
        await repo.removeFromCache(h.documentId).catch(() => {})
        this.#touched.delete(h.documentId)
        this.unloaded++
        excess--
      }
    } finally {
      this.#running = false
    }
  }

  #inUse(documentId: DocumentId): boolean {
    if (this.#init.isPinned?.(documentId) === true) return true
    const synchronizer = this.#init.repo.synchronizer.docSynchronizers[documentId]
    const peers = (synchronizer?.metrics().peers ?? []) as string[]
    return peers.some((p) => !this.#init.isBackgroundPeer(p))
  }
}
