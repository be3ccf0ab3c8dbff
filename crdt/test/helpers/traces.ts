import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import * as A from '@automerge/automerge'
import { createText, readText, spliceText, type TextDoc as QuireText } from '../../src/index.js'

/** One edit: like `Array.prototype.splice` on the text, in code points (the traces used here are ASCII). */
export type TracePatch = [position: number, deleteCount: number, insert: string]

/** A transaction of a concurrent trace: its patches apply to the merge of its parents' states, in order. */
export interface ConcurrentTxn {
  /** Indexes of earlier transactions; empty for a transaction on the empty document. */
  parents: number[]
  /** The editing agent (user); each agent replays as a distinct Automerge actor. */
  agent: number
  patches: TracePatch[]
}

/** A josephg/editing-traces concurrent trace. Documents start empty. */
export interface ConcurrentTrace {
  kind: 'concurrent'
  numAgents: number
  endContent: string
  txns: ConcurrentTxn[]
}

const NON_ASCII = /[^\u0000-\u007f]/

const tracesDir = fileURLToPath(new URL('../../../../shared/data/editing-traces/', import.meta.url))

/** Reads and gunzips `<name>.json.gz` from ../shared/data/editing-traces (relative to the repo root). */
export function loadConcurrentTrace(name: string): ConcurrentTrace {
  const trace = JSON.parse(gunzipSync(readFileSync(`${tracesDir}${name}.json.gz`)).toString('utf8')) as ConcurrentTrace
  if (trace.kind !== 'concurrent' || !Array.isArray(trace.txns)) {
    throw new Error(`${name} is not a concurrent editing trace`)
  }
  // Trace positions count code points, Automerge's count UTF-16 units: they agree on ASCII only.
  if (trace.txns.some((t) => t.patches.some(([, , ins]) => NON_ASCII.test(ins)))) {
    throw new Error(`${name} inserts non-ASCII text; its positions would need converting to UTF-16 units`)
  }
  return trace
}

// A type alias, not an interface: A.from wants a Record, which interfaces do not satisfy.
type TextDoc = {
  text: string
}

/** What a replay ended with, per agent, and how it got there. */
export interface ReplayResult {
  /** Each agent's text after it merged every change of the trace. */
  texts: string[]
  /** Each agent's heads after merging everything; equal when the agents converged. */
  heads: A.Heads[]
  /** Transactions replayed. */
  txns: number
  /** Transactions whose agent already knew changes outside their parents, so they were made with changeAt. */
  changedAtOldHeads: number
}

// Automerge clips a deletion that runs past the end; a trace replayed on the wrong state must fail instead.
function checkPatches(txn: number, patches: TracePatch[], length: number): void {
  for (const [pos, del, ins] of patches) {
    if (pos < 0 || del < 0 || pos + del > length) {
      throw new Error(`txn ${txn}: patch [${pos}, ${del}] does not fit a text of length ${length}`)
    }
    length += ins.length - del
  }
}

function actorOf(agent: number): string {
  // Distinct, fixed actor ids make a replay reproducible.
  return (agent + 1).toString(16).padStart(32, '0')
}

function sameHeads(a: A.Heads, b: A.Heads): boolean {
  if (a.length !== b.length) return false
  const set = new Set(a)
  return b.every((h) => set.has(h))
}

/**
 * Replays the first `limit` transactions of a concurrent trace with one Automerge document per agent. Before
 * a transaction, its agent's document receives exactly the changes of the transaction's ancestors that it
 * lacks, so it stands at the merge of the parents; the transaction's patches then become one change (with
 * `changeAt` at the parents' heads if the agent had seen anything else). At the end every agent receives
 * every change.
 */
export function replayConcurrentTrace(trace: ConcurrentTrace, limit = trace.txns.length, options: { chunked?: boolean } = {}): ReplayResult {
  const txns = trace.txns.slice(0, limit)
  if (txns.length === 0) throw new Error('nothing to replay')
  // Chunked: a Quire text document edited through spliceText (T23); else one plain Automerge text field.
  const chunked = options.chunked === true
  const origin = chunked
    ? (A.clone(createText(''), { actor: 'ff'.repeat(16) }) as unknown as A.Doc<TextDoc>)
    : A.from<TextDoc>({ text: '' }, { actor: 'ff'.repeat(16) })
  const textOf = (d: unknown): string => {
    if (!chunked) return (d as TextDoc).text
    const read = readText(d)
    if (!read.ok) throw read.error
    return read.value.content
  }
  const originHeads = A.getHeads(origin)
  const agents = txns.reduce((n, t) => Math.max(n, t.agent + 1), trace.numAgents)
  const docs = Array.from({ length: agents }, (_, a) => A.clone(origin, { actor: actorOf(a) }))
  const known = Array.from({ length: agents }, () => new Uint8Array(txns.length))
  const changes: (Uint8Array | undefined)[] = new Array(txns.length)
  const versions: A.Heads[] = new Array(txns.length)
  let changedAtOldHeads = 0

  for (const [i, txn] of txns.entries()) {
    const a = txn.agent
    const seen = known[a]!
    const missing: number[] = []
    const stack = [...txn.parents]
    while (stack.length > 0) {
      const j = stack.pop()!
      if (j >= i) throw new Error(`txn ${i} names a parent ${j} that does not precede it`)
      if (seen[j] === 1) continue
      seen[j] = 1
      missing.push(j)
      stack.push(...txns[j]!.parents)
    }
    let doc = docs[a]!
    if (missing.length > 0) {
      missing.sort((x, y) => x - y)
      const toApply = missing.map((j) => changes[j]).filter((c): c is Uint8Array => c !== undefined)
      if (toApply.length > 0) doc = A.applyChanges(doc, toApply)[0]
    }
    const target = txn.parents.length === 0 ? originHeads : [...new Set(txn.parents.flatMap((p) => versions[p]!))]
    const headsBefore = A.getHeads(doc)
    checkPatches(i, txn.patches, textOf(sameHeads(headsBefore, target) ? doc : A.view(doc, target)).length)
    const edit = (d: TextDoc): void => {
      for (const [pos, del, ins] of txn.patches) {
        if (chunked) spliceText(d as unknown as QuireText, pos, del, ins)
        else A.splice(d, ['text'], pos, del, ins)
      }
    }
    if (sameHeads(headsBefore, target)) {
      doc = A.change(doc, edit)
      versions[i] = A.getHeads(doc)
      // A transaction whose patches change nothing makes no change; its version is its parents'.
      changes[i] = sameHeads(versions[i]!, target) ? undefined : A.getLastLocalChange(doc)
    } else {
      changedAtOldHeads++
      const result = A.changeAt(doc, target, edit)
      doc = result.newDoc
      versions[i] = result.newHeads ?? target
      // getLastLocalChange would give the agent's latest change by sequence, not this one.
      const made = A.getChangesSince(doc, headsBefore)
      if (result.newHeads !== null && made.length !== 1) throw new Error(`txn ${i}: changeAt made ${made.length} changes`)
      changes[i] = result.newHeads === null ? undefined : made[0]
    }
    seen[i] = 1
    docs[a] = doc
  }

  const all = changes.filter((c): c is Uint8Array => c !== undefined)
  const merged = docs.map((doc) => A.applyChanges(doc, all)[0])
  return {
    texts: merged.map(textOf),
    heads: merged.map((d) => A.getHeads(d)),
    txns: txns.length,
    changedAtOldHeads,
  }
}
