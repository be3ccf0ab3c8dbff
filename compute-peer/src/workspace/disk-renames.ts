/**
 * Which files gone and files new (or rewritten) in one batch are one file moved (W6, W32): same bytes first,
 * then text files whose contents are mostly alike.
 */
import { next as A } from '@automerge/automerge'
import { decodeHeads, type UrlHeads } from '@automerge/automerge-repo'
import { readText, type FileEntry, type TextDoc } from '@quire/crdt'
import type { SyncContext } from './context.js'
import { asText, type Seen } from './disk-apply.js'
import type { FileRecord } from './state-store.js'

/** A file moved on disk: `from` is gone, `to` is where it went; `over` is the entry whose file it replaced. */
export interface Move {
  readonly from: FileRecord
  readonly to: Seen
  readonly over?: FileRecord
}

/** A file read in the batch: new (no record at its path) or rewritten (`record`, the entry at its path). */
export type Candidate = Seen & { readonly record?: FileRecord }

/**
 * Same bytes first; then text files gone and new in one batch whose contents are mostly alike (the new
 * file is the old one edited while being moved), best match first. A rewritten file is a file moved over
 * it (W32) when its bytes are a gone file's, or when its text is more like a gone file's than its own.
 */
export async function pairRenames(ctx: SyncContext, candidates: readonly Candidate[], gone: Map<string, FileRecord>, entries: Map<string, FileEntry>): Promise<Move[]> {
  const pairs: Move[] = []
  const used = new Set<string>()
  const taken = new Set<Candidate>()
  const pair = (from: FileRecord, to: Candidate): void => {
    used.add(from.id)
    taken.add(to)
    pairs.push({ from, to, ...(to.record !== undefined ? { over: to.record } : {}) })
  }
  const goneByHash = new Map<string, FileRecord[]>()
  for (const r of gone.values()) if (r.kind !== 'folder') goneByHash.set(r.hash, [...(goneByHash.get(r.hash) ?? []), r])
  for (const seen of candidates) {
    const from = goneByHash.get(seen.hash)?.find((r) => !used.has(r.id))
    if (from !== undefined) pair(from, seen)
  }
  const restCandidates = candidates.filter((c) => !taken.has(c))
  const restGone = [...gone.values()].filter((r) => !used.has(r.id) && r.kind === 'text')
  if (restCandidates.length === 0 || restGone.length === 0) return pairs
  // A rewritten file stays an edit of its own entry unless it is more like a gone file than like its own text.
  const own = new Map<Candidate, number>()
  for (const to of restCandidates) {
    if (to.record === undefined) continue
    const entry = entries.get(to.record.id)
    const before = entry?.kind === 'text' ? await textAtRecord(ctx, entry.url, to.record.heads) : undefined
    const after = asText(ctx, to.bytes)
    own.set(to, before === undefined || after === undefined ? 0 : similarity(before, after))
  }
  const scored: Array<{ from: FileRecord; to: Candidate; score: number }> = []
  for (const from of restGone) {
    const entry = entries.get(from.id)
    if (entry?.kind !== 'text') continue
    const before = await textAtRecord(ctx, entry.url, from.heads)
    if (before === undefined) continue
    for (const to of restCandidates) {
      const after = asText(ctx, to.bytes)
      if (after === undefined) continue
      const score = similarity(before, after)
      if (score > (own.get(to) ?? 0)) scored.push({ from, to, score })
    }
  }
  scored.sort((a, b) => b.score - a.score)
  for (const { from, to, score } of scored) {
    if (score < 0.5 || used.has(from.id) || taken.has(to)) continue
    pair(from, to)
  }
  return pairs
}

/**
 * How much of the shorter text the two share at their start and end (a file appended to while moved keeps
 * all of its old text), with the share of the longer one to order equally good matches.
 */
function similarity(a: string, b: string): number {
  const max = Math.max(a.length, b.length)
  const min = Math.min(a.length, b.length)
  if (max === 0) return 1
  let prefix = 0
  while (prefix < min && a[prefix] === b[prefix]) prefix++
  let suffix = 0
  while (suffix < min - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++
  const common = prefix + suffix
  return common === 0 ? 0 : common / min + common / max / 1000
}

/** A text document's content at the recorded heads (what the file held), or undefined. */
async function textAtRecord(ctx: SyncContext, url: string, heads: readonly string[] | undefined): Promise<string | undefined> {
  const handle = await ctx.handle<TextDoc>(url)
  if (handle === undefined || heads === undefined) return undefined
  try {
    const read = readText(A.view(handle.doc(), decodeHeads(heads as UrlHeads)))
    return read.ok ? read.value.content : undefined
  } catch {
    return undefined
  }
}
