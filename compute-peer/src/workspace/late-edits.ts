/**
 * Members' edits that arrive after the disk change that removed their document's entry was read:
 * automerge-repo sends a document's changes up to 100 ms late (longer than the quiet period), and a member
 * offline for a while sends them when back. W16 says an edit made since the file was last written wins over
 * a delete, so
 * - an entry deleted because its file was deleted on disk comes back with such an edit (W33);
 * - the document of an entry whose file another file was moved over keeps being followed: its edits are
 *   carried into the moved entry's document, which now holds that path (W35).
 * Kept in memory only, the newest `max` of each.
 */
import type { UrlHeads } from '@automerge/automerge-repo'
import { addFile, applyTextSplices, readText, type FileEntry, type TextDoc } from '@quire/crdt'
import type { SyncContext } from './context.js'
import { liveEntries } from './disk-apply.js'
import { ingestText } from './ingest.js'
import { textSplices } from './text-diff.js'

type DocEntry = FileEntry & { readonly kind: 'text' | 'notebook' }

interface Deletion {
  readonly entry: DocEntry
  readonly heads: readonly string[]
}

/**
 * A replaced document followed into the one that took its path: at `fromHeads` the replaced document held
 * `text`, and so did the other at `toHeads`; what the replaced one gains beyond is applied to the other there.
 */
interface Follow {
  readonly from: string
  readonly to: string
  fromHeads: string[]
  toHeads: UrlHeads
  text: string
}

export class LateEdits {
  readonly #byId = new Map<string, Deletion>()
  readonly #follows = new Map<string, Follow>()
  readonly #max: number

  constructor(max = 1000) {
    this.#max = max
  }

  get size(): number {
    return this.#byId.size + this.#follows.size
  }

  /**
   * The text entry `over` was replaced on disk by the file of the text entry whose document is `toUrl`, whose
   * heads `toHeads` hold the file's text `text`. The replaced document is brought to that text at the heads
   * its file was last written from (so a member's edit made since merges with it, as an edit of that file
   * would), and its edits, those here already and those that come later, are carried over (W35).
   */
  async follow(ctx: SyncContext, over: { url: string; heads: readonly string[] | undefined }, toUrl: string, toHeads: readonly string[], text: string): Promise<void> {
    const from = await ctx.handle<TextDoc>(over.url)
    if (from === undefined) return
    const at = ingestText(from, (over.heads ?? []) as UrlHeads, text)
    // Without a change the replaced document already held the text at its recorded heads.
    const fromHeads = at !== undefined ? [...at] : [...(over.heads ?? from.heads())]
    this.#follows.delete(over.url)
    this.#follows.set(over.url, { from: over.url, to: toUrl, fromHeads, toHeads: [...toHeads] as UrlHeads, text })
    trim(this.#follows, this.#max)
    await this.#carry(ctx)
  }

  /** Brings back deleted entries and carries replaced documents' edits over; see the module's comment. */
  async apply(ctx: SyncContext): Promise<void> {
    await this.#carry(ctx)
    await this.#restore(ctx)
  }

  async #carry(ctx: SyncContext): Promise<void> {
    for (const follow of this.#follows.values()) {
      const from = await ctx.handle<TextDoc>(follow.from)
      const to = await ctx.handle<TextDoc>(follow.to)
      if (from === undefined || to === undefined) continue
      const heads = [...from.heads()]
      if (sameHeads(heads, follow.fromHeads)) continue
      const read = readText(from.doc())
      if (!read.ok) continue
      const content = read.value.content
      const splices = textSplices(follow.text, content)
      const next = to.changeAt(follow.toHeads, (doc) => {
        applyTextSplices(doc, splices)
      })
      follow.fromHeads = heads
      follow.text = content
      if (next !== undefined) follow.toHeads = next
      ctx.log(`an edit of a document whose file was replaced on disk was carried into the file's new entry`)
    }
  }

  /** Remembers an entry deleted from disk at the document heads `heads`. */
  remember(entry: DocEntry, heads: readonly string[]): void {
    this.#byId.delete(entry.id)
    this.#byId.set(entry.id, { entry, heads: [...heads].sort() })
    trim(this.#byId, this.#max)
  }

  /**
   * Adds back (same id, path and document) every remembered entry whose document changed since it was
   * deleted, if its path is still free; the writer then writes its file. One project change for all.
   */
  async #restore(ctx: SyncContext): Promise<void> {
    if (this.#byId.size === 0) return
    const back: Deletion[] = []
    for (const [id, deletion] of this.#byId) {
      const { entry, heads } = deletion
      const handle = await ctx.handle<unknown>(entry.url)
      if (handle === undefined) continue
      if (sameHeads([...handle.heads()], heads)) continue
      this.#byId.delete(id)
      back.push(deletion)
    }
    if (back.length === 0) return
    const into: Array<{ deletion: Deletion; url: string }> = []
    ctx.project.change((doc) => {
      const live = liveEntries(ctx, doc)
      const taken = new Map([...live.values()].map((e) => [e.displayPath, e]))
      for (const deletion of back) {
        const { entry } = deletion
        if (live.has(entry.id)) continue
        const holder = taken.get(entry.path)
        if (holder !== undefined) {
          // Another file has the path now (a file moved or made there): the edit goes into it, as in W35.
          if (entry.kind === 'text' && holder.kind === 'text') into.push({ deletion, url: holder.url })
          else ctx.log(`${entry.path} was deleted on disk and edited by a member meanwhile, but another file has its path; the edit stays in its document only`)
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
        taken.set(entry.path, { ...entry, displayPath: entry.path, conflict: false })
        ctx.log(`${entry.path} was deleted on disk while a member edited it; the edit wins and the file comes back`)
      }
    })
    ctx.stats.projectChanges++
    for (const { deletion, url } of into) {
      const to = await ctx.handle<TextDoc>(url)
      const read = to === undefined ? undefined : readText(to.doc())
      const text = read?.ok ? read.value.content : undefined
      if (to === undefined || text === undefined) continue
      await this.follow(ctx, { url: deletion.entry.url, heads: deletion.heads }, url, to.heads(), text)
    }
  }
}

/** Drops the oldest entries past `max`. */
function trim<V>(map: Map<string, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return
    map.delete(key)
  }
}

function sameHeads(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort()
  const y = [...b].sort()
  return x.length === y.length && x.every((h, i) => h === y[i])
}
