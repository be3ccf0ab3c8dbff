/**
 * The chunked text document (crdt/SPEC.md T8 to T20): shape, where inserts go, full chunks, deletes across
 * chunks, concurrent inserts at one place, legacy documents, junk chunks, flat patches and cursors. Chunks
 * are made tiny here so that every test crosses chunk boundaries.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import {
  applyTextSplices,
  createText,
  flatTextChanges,
  readText,
  setText,
  setTextChunkLimit,
  spliceText,
  textAt,
  textCursor,
  textCursorPosition,
  textLayout,
  type TextDoc,
} from '../src/index.js'
import { codeOf } from './helpers/error-code.js'

function content(doc: unknown): string {
  const read = readText(doc)
  if (!read.ok) throw read.error
  return read.value.content
}

function chunkKeys(doc: unknown): string[] {
  return Object.keys(doc as object).filter((k) => k.startsWith('chunk:'))
}

function legacy(text: string): A.Doc<TextDoc> {
  return A.from({ type: 'quire/text', schemaVersion: 1, content: text }) as unknown as A.Doc<TextDoc>
}

/** A document whose whole text is one chunk, full at the limit of 4 used here. */
function oneChunk(text: string): A.Doc<TextDoc> {
  return legacy(text)
}

function mergeBoth<T>(a: A.Doc<T>, b: A.Doc<T>): [A.Doc<T>, A.Doc<T>] {
  return [A.merge(A.clone(a), b), A.merge(A.clone(b), a)]
}

let previous = 0
beforeEach(() => {
  previous = setTextChunkLimit(4)
})
afterEach(() => {
  setTextChunkLimit(previous)
})

describe('chunked text documents', () => {
  it('[T8][T9] createText stores a long text as chunks three quarters full, read back in order', () => {
    const doc = createText('abcdefghij')
    expect(doc.content).toBe('abc')
    const chunks = chunkKeys(doc).map((k) => (doc as unknown as Record<string, { text: string; parent: string; at: string; rank: number }>)[k]!)
    expect(chunks.map((c) => c.text).sort()).toEqual(['def', 'ghi', 'j'])
    for (const c of chunks) expect([String(c.parent), String(c.at)]).toEqual(['content', 'e'])
    expect(A.isImmutableString(chunks[0]!.parent) && A.isImmutableString(chunks[0]!.at)).toBe(true)
    expect(content(doc)).toBe('abcdefghij')
    expect(content(A.load(A.save(doc)))).toBe('abcdefghij')
    expect(readText(doc)).toEqual({ ok: true, value: { schemaVersion: 1, content: 'abcdefghij' }, problems: [] })
  })

  it('[T9] a surrogate pair is never split between chunks', () => {
    const doc = createText('abc😀def')
    for (const k of chunkKeys(doc)) expect((doc as unknown as Record<string, { text: string }>)[k]!.text).not.toMatch(/^[\udc00-\udfff]/)
    expect(content(doc)).toBe('abc😀def')
  })

  it('[T10][T11] spliceText works on flat indexes across chunks; an insert goes after the character before it', () => {
    let doc = oneChunk('abcd') // one full chunk
    doc = A.change(doc, (d) => spliceText(d, 4, 0, 'X')) // after "d": the root is full, so a new chunk
    expect(content(doc)).toBe('abcdX')
    doc = A.change(doc, (d) => spliceText(d, 5, 0, 'Y')) // after "X", into X's chunk
    expect(content(doc)).toBe('abcdXY')
    expect(chunkKeys(doc)).toHaveLength(1)
    doc = A.change(doc, (d) => spliceText(d, 0, 0, '0'))
    expect(chunkKeys(doc)).toHaveLength(2)
    doc = A.change(doc, (d) => spliceText(d, content(doc).length, 0, '!'))
    expect(content(doc)).toBe('0abcdXY!')
    expect(chunkKeys(doc)).toHaveLength(2)
  })

  it('[T12] a full chunk is never split: the insert goes into new chunks anchored there, the old text stays put', () => {
    let doc = oneChunk('abcd')
    const before = doc.content
    doc = A.change(doc, (d) => spliceText(d, 2, 0, '123456789'))
    expect(content(doc)).toBe('ab123456789cd')
    // The old text is where it was; a marker (never read) stands for the new chunks.
    expect(doc.content).toBe(before.slice(0, 2) + '\ufdd0' + before.slice(2))
    const texts = chunkKeys(doc).map((k) => (doc as unknown as Record<string, { text: string }>)[k]!.text)
    expect(texts.every((t) => t.length <= 4)).toBe(true)
    expect(texts.join('').length).toBe(9)
  })

  it('[T13] a delete across chunk boundaries deletes in each chunk; emptied chunks stay and read as nothing', () => {
    let doc = createText('abcdefghijkl')
    doc = A.change(doc, (d) => spliceText(d, 2, 0, 'XYZW'))
    doc = A.change(doc, (d) => spliceText(d, 1, 10, ''))
    expect(content(doc)).toBe('ahijkl')
    const keys = chunkKeys(doc).length
    doc = A.change(doc, (d) => spliceText(d, 0, content(doc).length, 'new'))
    expect(content(doc)).toBe('new')
    expect(chunkKeys(doc).length).toBeGreaterThanOrEqual(keys)
  })

  it('[T14] two peers inserting into one full chunk at one place keep both texts once, in one order everywhere', () => {
    const base = oneChunk('abcd')
    const a = A.change(A.clone(base), (d) => spliceText(d, 2, 0, 'AAAAAA'))
    const b = A.change(A.clone(base), (d) => spliceText(d, 2, 0, 'BBBBBB'))
    const [ab, ba] = mergeBoth(a, b)
    const text = content(ab)
    expect(content(ba)).toBe(text)
    expect(['abAAAAAABBBBBBcd', 'abBBBBBBAAAAAAcd']).toContain(text)
    // Each keeps typing after its own text.
    const a2 = A.change(a, (d) => spliceText(d, 8, 0, 'a'))
    const b2 = A.change(b, (d) => spliceText(d, 8, 0, 'b'))
    const [m1, m2] = mergeBoth(a2, b2)
    expect(content(m1)).toBe(content(m2))
    expect(content(m1)).toMatch(/^ab(AAAAAAaBBBBBBb|BBBBBBbAAAAAAa)cd$/)
  })

  it('[T15] an edit made concurrently with new chunks in the same chunk lands where it was made', () => {
    const base = oneChunk('abcd')
    const a = A.change(A.clone(base), (d) => spliceText(d, 1, 0, 'NEWCHUNK')) // a full chunk: new chunks after "a"
    const b = A.change(A.clone(base), (d) => spliceText(d, 3, 1, 'x')) // replaces "d" inside the old chunk
    const c = A.change(A.clone(base), (d) => spliceText(d, 1, 0, '')) // nothing
    const [ab, ba] = mergeBoth(a, b)
    expect(content(ab)).toBe('aNEWCHUNKbcx')
    expect(content(ba)).toBe('aNEWCHUNKbcx')
    expect(content(A.merge(A.clone(ab), c))).toBe('aNEWCHUNKbcx')
  })

  it('[T15] an insert right before a concurrently deleted anchor character stays in order', () => {
    const base = A.change(oneChunk('abcd'), (d) => spliceText(d, 2, 0, 'XXXXX')) // ab [XXXXX] cd: a marker before "c"
    const a = A.change(A.clone(base), (d) => spliceText(d, 7, 1, '')) // deletes the anchor "c"
    const b = A.change(A.clone(base), (d) => spliceText(d, 7, 0, 'y')) // types after the X chunk, before "c"
    const [ab, ba] = mergeBoth(a, b)
    expect(content(ab)).toBe('abXXXXXyd')
    expect(content(ba)).toBe('abXXXXXyd')
  })

  it('[T16] flatTextChanges turns chunk patches into flat changes that give the new text, or null for new chunks', () => {
    let doc = createText('abcdefghijkl')
    doc = A.change(doc, (d) => spliceText(d, 6, 0, 'XY'))
    const steps: Array<[number, number, string]> = [[7, 0, 'z'], [2, 5, ''], [0, 1, 'Q'], [3, 4, 'r']]
    for (const [index, del, insert] of steps) {
      const before = A.getHeads(doc)
      const layout = textLayout(doc)!
      const old = content(doc)
      doc = A.change(doc, (d) => spliceText(d, index, del, insert))
      const changes = flatTextChanges(layout, A.diff(doc, before, A.getHeads(doc)))
      if (changes === null) continue
      let text = old
      for (const c of changes) text = text.slice(0, c.from) + c.insert + text.slice(c.to)
      expect(text).toBe(content(doc))
    }
    const before = A.getHeads(doc)
    const layout = textLayout(doc)!
    doc = A.change(doc, (d) => spliceText(d, 0, 0, 'full chunk'))
    expect(flatTextChanges(layout, A.diff(doc, before, A.getHeads(doc)))).toBeNull()
  })

  it('[T17] a text cursor stays beside its characters while others edit and add chunks', () => {
    let doc = createText('abcdefgh')
    const cursor = textCursor(doc, 6)! // before "g"
    doc = A.change(doc, (d) => spliceText(d, 1, 0, 'INSERTED'))
    doc = A.change(doc, (d) => spliceText(d, 0, 1, ''))
    const at = textCursorPosition(doc, cursor)!
    expect(content(doc).slice(at, at + 2)).toBe('gh')
    const end = textCursor(doc, content(doc).length)!
    doc = A.change(doc, (d) => spliceText(d, 2, 0, 'more'))
    expect(textCursorPosition(doc, end)).toBe(content(doc).length)
    expect(textCursorPosition(doc, 'nochunk|e')).toBeUndefined()
    expect(textCursorPosition(doc, 'junk')).toBeUndefined()
  })

  it('[T18] junk chunks are left out with a problem; the rest reads; readText never throws', () => {
    const doc = A.from({
      type: 'quire/text',
      schemaVersion: 1,
      content: 'ok',
      'chunk:a': 42,
      'chunk:b': { text: 'orphan', parent: 'missing', at: 'e', rank: 1 },
      'chunk:c': { parent: 'content', at: 'e' },
      'chunk:d': { text: ' fine', parent: 'content', at: 'e', rank: 'x' },
      'chunk:e': { text: 'loop', parent: 'f', at: 'e', rank: 1 },
      'chunk:f': { text: 'loop', parent: 'e', at: 'e', rank: 1 },
      'chunk:g': { text: '?', parent: 'content', at: 'not-a-cursor', rank: 1 },
    }) as unknown as A.Doc<TextDoc>
    const read = readText(doc)
    expect(read.ok).toBe(true)
    if (!read.ok) return
    expect(read.value.content).toBe('ok? fine')
    expect(read.problems.map((p) => p.path).sort()).toEqual(['/chunk:a', '/chunk:b', '/chunk:c', '/chunk:e', '/chunk:f', '/chunk:g/at'])
    // Plain values (not Automerge documents) read too; anchors there read at their parent's end.
    expect(readText(A.toJS(doc)).ok).toBe(true)
    expect(content(A.change(doc, (d) => spliceText(d, 8, 0, '!')))).toBe('ok? fine!')
  })

  it('[T12] a character the user typed that looks like a marker is text', () => {
    const doc = A.change(createText('a\ufdd0b'), (d) => spliceText(d, 1, 0, 'x'))
    expect(content(doc)).toBe('ax\ufdd0b')
  })

  it('[T19] applyTextSplices applies splices given in positions of the text before them', () => {
    let doc = createText('hello brave new world')
    doc = A.change(doc, (d) => applyTextSplices(d, [{ at: 0, remove: 5, insert: 'HELLO' }, { at: 6, remove: 6, insert: '' }, { at: 21, remove: 0, insert: '!' }]))
    expect(content(doc)).toBe('HELLO new world!')
  })

  it('[T20] a document written before chunks reads unchanged, and edits never copy its text', () => {
    const old = legacy('0123456789') // longer than the limit, in one text object
    expect(readText(old)).toEqual({ ok: true, value: { schemaVersion: 1, content: '0123456789' }, problems: [] })
    const edited = A.change(old, (d) => spliceText(d, 5, 1, 'five'))
    expect(content(edited)).toBe('01234five6789')
    expect(edited.content).toBe('01234\ufdd06789')
    expect(chunkKeys(edited)).toHaveLength(1)
    expect(textAt(edited, A.getHeads(old))).toBe('0123456789')
  })

  it('[T20] two peers editing one legacy document at once never duplicate its text', () => {
    const old = legacy('0123456789')
    const a = A.change(A.clone(old), (d) => spliceText(d, 2, 0, 'aaaaa'))
    const b = A.change(A.clone(old), (d) => spliceText(d, 8, 1, 'bbbbb'))
    const [ab, ba] = mergeBoth(a, b)
    expect(content(ab)).toBe('01aaaaa234567bbbbb9')
    expect(content(ba)).toBe(content(ab))
  })

  it('[T4][T21] setText on a chunked text changes only the changed lines; a concurrent edit elsewhere survives', () => {
    const base = createText('line one\nline two\nline three\nline four\n')
    const a = A.change(A.clone(base), (d) => setText(d, 'line one\nline 2\nline three\nline 4\n'))
    const b = A.change(A.clone(base), (d) => spliceText(d, 25, 0, '3'))
    const [ab, ba] = mergeBoth(a, b)
    expect(content(ab)).toBe('line one\nline 2\nline th3ree\nline 4\n')
    expect(content(ba)).toBe(content(ab))
    for (const target of ['', 'x', '\n\n', 'line one\n', 'zzz\nline two\nline three\nline four\n']) {
      expect(content(A.change(A.clone(base), (d) => setText(d, target)))).toBe(target)
    }
  })

  it('[T10] textAt reads chunked text at earlier heads, markers and all', () => {
    let doc = createText('abcdefgh')
    doc = A.change(doc, (d) => spliceText(d, 3, 0, 'XXXXXX'))
    const h1 = A.getHeads(doc)
    doc = A.change(doc, (d) => spliceText(d, 1, 0, 'YYYYYY'))
    doc = A.change(doc, (d) => spliceText(d, 0, 5, ''))
    expect(textAt(doc, h1)).toBe('abcXXXXXXdefgh')
    expect(content(doc)).toBe('YYbcXXXXXXdefgh')
  })

  it('[T10] spliceText checks its range against the whole text', () => {
    const doc = createText('abcdefgh')
    expect(codeOf(() => A.change(doc, (d) => spliceText(d, 9, 0, 'x')))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => A.change(doc, (d) => spliceText(d, 6, 3, '')))).toBe('INVALID_ARGUMENT')
    expect(content(A.change(doc, (d) => spliceText(d, 8, 0, 'x')))).toBe('abcdefghx')
  })
})
