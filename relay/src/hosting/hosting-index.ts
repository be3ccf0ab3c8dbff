import type { DocumentId } from '@automerge/automerge-repo'
import type { LevelDatabase } from '@quire/crdt'

/** What the relay records about one hosted document. */
export interface HostedDocument {
  /** The peer that first sent it (open hosting charges its quota). */
  owner: string
  /** When the relay first accepted it (ms since the epoch). */
  since: number
}

/** Per-peer usage under open hosting. */
export interface PeerUsage {
  documents: number
  bytes: number
}

const JSON_VALUES = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const
// classic-level's fsync option; abstract-level's types do not list it, other backends ignore it.
const SYNC_WRITE: { sync: boolean } = { sync: true }

/**
 * The relay's list of hosted documents and per-peer usage, in its own sublevel of the relay's database.
 * Kept whole in memory (a few dozen bytes per document), so the count is known without loading documents
 * and access checks never touch the disk. A new document is written with `sync` before it is accepted;
 * usage in bytes is written lazily (losing a few seconds of byte counts in a crash is harmless).
 */
export class HostingIndex {
  readonly #docs = new Map<string, HostedDocument>()
  readonly #usage = new Map<string, PeerUsage>()
  readonly #db: LevelDatabase
  #dirtyUsage = new Set<string>()
  #usageTimer: NodeJS.Timeout | undefined

  private constructor(db: LevelDatabase) {
    this.#db = db
  }

  /** Opens the index in `db` (the sublevel `hosting`) and reads it into memory. */
  static async open(root: LevelDatabase): Promise<HostingIndex> {
    const index = new HostingIndex(root.sublevel('hosting', JSON_VALUES))
    for await (const [key, value] of index.#db.iterator(JSON_VALUES)) {
      const k = key as string
      try {
        if (k.startsWith('doc:')) index.#docs.set(k.slice(4), JSON.parse(value as string) as HostedDocument)
        else if (k.startsWith('peer:')) index.#usage.set(k.slice(5), JSON.parse(value as string) as PeerUsage)
      } catch {
        // A damaged entry only loses its bookkeeping; the document itself is in the document store.
      }
    }
    return index
  }

  get size(): number {
    return this.#docs.size
  }

  has(documentId: string): boolean {
    return this.#docs.has(documentId)
  }

  documentIds(): DocumentId[] {
    return [...this.#docs.keys()] as DocumentId[]
  }

  usage(peer: string): PeerUsage {
    return this.#usage.get(peer) ?? { documents: 0, bytes: 0 }
  }

  /** Records a newly hosted document and charges `owner` for it; durable when it resolves. */
  async add(documentId: string, owner: string): Promise<void> {
    if (this.#docs.has(documentId)) return
    const entry: HostedDocument = { owner, since: Date.now() }
    this.#docs.set(documentId, entry)
    const usage = this.usage(owner)
    const next = { ...usage, documents: usage.documents + 1 }
    this.#usage.set(owner, next)
    this.#dirtyUsage.delete(owner)
    await this.#db.batch([
      { type: 'put', key: `doc:${documentId}`, value: JSON.stringify(entry) },
      { type: 'put', key: `peer:${owner}`, value: JSON.stringify(next) },
    ], { ...JSON_VALUES, ...SYNC_WRITE })
  }

  /** Charges `peer` for `bytes` of stored changes; written within a second. */
  addBytes(peer: string, bytes: number): void {
    const usage = this.usage(peer)
    this.#usage.set(peer, { ...usage, bytes: usage.bytes + bytes })
    this.#dirtyUsage.add(peer)
    this.#usageTimer ??= setTimeout(() => void this.flushUsage(), 1000)
  }

  /** Writes pending byte counts now. */
  async flushUsage(): Promise<void> {
    if (this.#usageTimer !== undefined) clearTimeout(this.#usageTimer)
    this.#usageTimer = undefined
    const peers = [...this.#dirtyUsage]
    this.#dirtyUsage.clear()
    if (peers.length === 0 || this.#db.status !== 'open') return
    await this.#db.batch(peers.map((p) => ({ type: 'put' as const, key: `peer:${p}`, value: JSON.stringify(this.usage(p)) })), JSON_VALUES)
  }
}
