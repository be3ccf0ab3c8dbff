/**
 * Entries the disk side deleted because their file was deleted on disk, remembered with the document heads
 * the deletion saw. W16 says an edit made since the file was last written wins over the delete, but a
 * member's edit can arrive after the delete was read: automerge-repo sends a document's changes up to 100 ms
 * late (longer than the quiet period), and a member offline for a while sends them when back. Such an edit
 * brings the entry back (W33). Kept in memory only, the newest `max` deletions.
 */
import { addFile, type FileEntry } from '@quire/crdt'
import type { SyncContext } from './context.js'
import { liveEntries } from './disk-apply.js'

type DocEntry = FileEntry & { readonly kind: 'text' | 'notebook' }

interface Deletion {
  readonly entry: DocEntry
  readonly heads: readonly string[]
}

export class DiskDeletions {
  readonly #byId = new Map<string, Deletion>()
  readonly #max: number

  constructor(max = 1000) {
    this.#max = max
  }

  get size(): number {
    return this.#byId.size
  }

  /** Remembers an entry deleted from disk at the document heads `heads`. */
  remember(entry: DocEntry, heads: readonly string[]): void {
    this.#byId.delete(entry.id)
    this.#byId.set(entry.id, { entry, heads: [...heads].sort() })
    for (const id of this.#byId.keys()) {
      if (this.#byId.size <= this.#max) break
      this.#byId.delete(id)
    }
  }

  /**
   * Adds back (same id, path and document) every remembered entry whose document changed since it was
   * deleted, if its path is still free; the writer then writes its file. One project change for all.
   */
  async restore(ctx: SyncContext): Promise<void> {
    if (this.#byId.size === 0) return
    const back: DocEntry[] = []
    for (const [id, { entry, heads }] of this.#byId) {
      const handle = await ctx.handle<unknown>(entry.url)
      if (handle === undefined) continue
      const now = [...handle.heads()].sort()
      if (now.length === heads.length && now.every((h, i) => h === heads[i])) continue
      this.#byId.delete(id)
      back.push(entry)
    }
    if (back.length === 0) return
    ctx.project.change((doc) => {
      const live = liveEntries(ctx, doc)
      const taken = new Set([...live.values()].map((e) => e.displayPath))
      for (const entry of back) {
        if (live.has(entry.id)) continue
        if (taken.has(entry.path)) {
          ctx.log(`${entry.path} was deleted on disk and edited by a member meanwhile, but a new file has its path; the edit stays in its document only`)
          continue
        }
        addFile(doc, {
          id: entry.id,
          path: entry.path,
          kind: entry.kind,
          url: entry.url,
          ...(entry.createdAt !== null ? { createdAt: entry.createdAt } : {}),
          ...(entry.createdBy !== null ? { createdBy: entry.createdBy } : {}),
          ...(entry.chatUrl !== null ? { chatUrl: entry.chatUrl } : {}),
        })
        taken.add(entry.path)
        ctx.log(`${entry.path} was deleted on disk while a member edited it; the edit wins and the file comes back`)
      }
    })
    ctx.stats.projectChanges++
  }
}
