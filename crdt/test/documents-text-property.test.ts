/**
 * The convergence property of chunked text (T22): 2 to 4 peers edit one text with tiny chunks, merging
 * with each other at random, with inserts at chunk boundaries, deletes across boundaries, pastes longer than
 * a chunk (new chunks), whole-text rewrites and documents written before chunks (concurrent migration).
 * Every inserted character is unique, so after everyone merges everything the test can check that no
 * character was duplicated or lost (exactly the inserted ones that nobody deleted are there) and that any two
 * characters some peer once saw in an order are still in that order (an edit concurrent with new chunks
 * lands where it was made).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as A from '@automerge/automerge'
import { createText, readText, setText, setTextChunkLimit, spliceText, textLayout, type TextDoc } from '../src/index.js'

const LIMIT = 5

type Command =
  | { kind: 'insert'; peer: number; at: number; length: number }
  | { kind: 'boundary'; peer: number; which: number; length: number }
  | { kind: 'delete'; peer: number; at: number; length: number }
  | { kind: 'rewrite'; peer: number; at: number; cut: number; length: number }
  | { kind: 'merge'; from: number; to: number }

const peer = fc.nat(3)
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('insert' as const), peer, at: unit, length: fc.integer({ min: 1, max: 3 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('insert' as const), peer, at: unit, length: fc.integer({ min: LIMIT, max: 3 * LIMIT + 2 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('boundary' as const), peer, which: fc.nat(), length: fc.integer({ min: 1, max: 7 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), peer, at: unit, length: fc.integer({ min: 1, max: 12 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('rewrite' as const), peer, at: unit, cut: fc.integer({ min: 0, max: 6 }), length: fc.integer({ min: 0, max: 4 }) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('merge' as const), from: peer, to: peer }), weight: 3 },
)

function text(doc: unknown): string {
  const read = readText(doc)
  if (!read.ok) throw read.error
  return read.value.content
}

/** Runs the commands; returns what the property checks. */
function run(initial: number, legacy: boolean, peers: number, commands: readonly Command[]) {
  let next = 0x4e00
  const fresh = (n: number): string => {
    let out = ''
    for (let i = 0; i < n; i++) out += String.fromCharCode(next++)
    return out
  }
  const start = fresh(initial)
  const base = legacy
    ? (A.from({ type: 'quire/text', schemaVersion: 1, content: start }) as unknown as A.Doc<TextDoc>)
    : createText(start)
  const docs = Array.from({ length: peers }, (_, i) => A.clone(base, { actor: (i + 1).toString(16).padStart(32, '0') }))
  const inserted = new Set(start)
  const deleted = new Set<string>()
  const seen: string[] = [start]
  const splice = (p: number, index: number, del: number, insert: string): void => {
    const before = text(docs[p])
    for (const ch of before.slice(index, index + del)) deleted.add(ch)
    for (const ch of insert) inserted.add(ch)
    docs[p] = A.change(docs[p]!, (d) => spliceText(d, index, del, insert))
    const after = text(docs[p])
    expect(after).toBe(before.slice(0, index) + insert + before.slice(index + del))
    seen.push(after)
  }
  for (const c of commands) {
    if (c.kind === 'merge') {
      const from = c.from % peers
      const to = c.to % peers
      if (from !== to) docs[to] = A.merge(docs[to]!, docs[from]!)
      seen.push(text(docs[to]))
      continue
    }
    const p = c.peer % peers
    const current = text(docs[p])
    if (c.kind === 'insert') splice(p, Math.floor(c.at * (current.length + 1)), 0, fresh(c.length))
    else if (c.kind === 'delete') {
      const at = Math.floor(c.at * current.length)
      splice(p, at, Math.min(c.length, current.length - at), '')
    } else if (c.kind === 'boundary') {
      // Exactly at a place where one chunk's piece ends and another's begins.
      const starts = [...new Set(textLayout(docs[p])!.pieces.map((piece) => piece.flat))]
      splice(p, starts[c.which % starts.length]!, 0, fresh(c.length))
    } else {
      const at = Math.floor(c.at * current.length)
      const cut = Math.min(c.cut, current.length - at)
      const target = current.slice(0, at) + fresh(c.length) + current.slice(at + cut)
      for (const ch of current.slice(at, at + cut)) deleted.add(ch)
      for (const ch of target) inserted.add(ch)
      docs[p] = A.change(docs[p]!, (d) => setText(d, target))
      expect(text(docs[p])).toBe(target)
      seen.push(target)
    }
  }
  for (let i = 0; i < peers; i++) for (let j = 0; j < peers; j++) if (i !== j) docs[i] = A.merge(docs[i]!, docs[j]!)
  return { texts: docs.map(text), heads: docs.map((d) => [...A.getHeads(d)].sort()), inserted, deleted, seen }
}

let previous = 0
beforeEach(() => {
  previous = setTextChunkLimit(LIMIT)
})
afterEach(() => {
  setTextChunkLimit(previous)
})

describe('chunked text converges', () => {
  it('[T22] concurrent edits, boundary inserts, cross-chunk deletes, new chunks and legacy documents converge with no text lost, duplicated or reordered', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 * LIMIT }),
        fc.boolean(),
        fc.integer({ min: 2, max: 4 }),
        fc.array(command, { minLength: 1, maxLength: 40 }),
        (initial, legacy, peers, commands) => {
          const { texts, heads, inserted, deleted, seen } = run(initial, legacy, peers, commands)
          for (const t of texts.slice(1)) expect(t).toBe(texts[0])
          for (const h of heads.slice(1)) expect(h).toEqual(heads[0])
          const final = texts[0]!
          // No duplicates, no losses: exactly the inserted characters nobody deleted.
          expect(new Set(final).size).toBe(final.length)
          const expected = [...inserted].filter((ch) => !deleted.has(ch)).sort()
          expect([...final].sort()).toEqual(expected)
          // No reordering: characters any peer saw in one order keep it.
          const rank = new Map([...final].map((ch, i) => [ch, i]))
          for (const view of seen) {
            const kept = [...view].filter((ch) => rank.has(ch)).map((ch) => rank.get(ch)!)
            for (let i = 1; i < kept.length; i++) expect(kept[i]!).toBeGreaterThan(kept[i - 1]!)
          }
        },
      ),
      { numRuns: Number(process.env.QUIRE_RUNS ?? 150) },
    )
  })
})
