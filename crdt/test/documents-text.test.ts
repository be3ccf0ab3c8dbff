import { describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import { createText, diffLines, readText, setText, spliceText, textAt, type LineDiffPart, type TextDoc } from '../src/index.js'
import { codeOf } from './helpers/error-code.js'

function content(doc: unknown): string {
  const read = readText(doc)
  if (!read.ok) throw read.error
  return read.value.content
}


/** Both merge orders, each on its own copy. */
function mergeBoth<T>(a: A.Doc<T>, b: A.Doc<T>): [A.Doc<T>, A.Doc<T>] {
  return [A.merge(A.clone(a), b), A.merge(A.clone(b), a)]
}

describe('text documents', () => {
  it('[D1][T1] createText writes the type tag, the schema version and the content', () => {
    const doc = createText('hello')
    expect(doc.type).toBe('quire/text')
    expect(doc.schemaVersion).toBe(1)
    expect(readText(doc)).toEqual({ ok: true, value: { schemaVersion: 1, content: 'hello' }, problems: [] })
    expect(content(createText())).toBe('')
  })

  it('[T1] a text document works as an initial value for Automerge.from and survives save/load', () => {
    const doc = A.change(createText('abc'), (d) => spliceText(d, 3, 0, 'def'))
    expect(content(A.load(A.save(doc)))).toBe('abcdef')
    expect(content(A.from(createText('xyz') as unknown as Record<string, unknown>))).toBe('xyz')
  })

  it('[T2] spliceText deletes then inserts at a UTF-16 index', () => {
    let doc = createText('hello world')
    doc = A.change(doc, (d) => spliceText(d, 6, 5, 'there'))
    expect(content(doc)).toBe('hello there')
    doc = A.change(doc, (d) => spliceText(d, 0, 0, '😀 '))
    expect(content(doc)).toBe('😀 hello there')
    // The emoji is two UTF-16 code units, as in JS strings and CodeMirror.
    doc = A.change(doc, (d) => spliceText(d, 3, 5, 'j'))
    expect(content(doc)).toBe('😀 j there')
    doc = A.change(doc, (d) => spliceText(d, content(doc).length, 0, '!'))
    expect(content(doc)).toBe('😀 j there!')
  })

  it('[T2] a splice outside the content is INVALID_ARGUMENT and changes nothing', () => {
    const doc = createText('abc')
    const heads = A.getHeads(doc)
    for (const [index, del] of [[4, 0], [-1, 0], [2, 2], [0, -1], [1.5, 0], [Number.NaN, 0]] as const) {
      expect(codeOf(() => A.change(doc, (d) => spliceText(d, index, del, 'x')))).toBe('INVALID_ARGUMENT')
    }
    expect(A.getHeads(doc)).toEqual(heads)
    expect(content(doc)).toBe('abc')
  })

  it('[T3] concurrent splices at different places both survive, identically in both merge orders', () => {
    const base = createText('The quick fox')
    const a = A.change(A.clone(base), (d) => spliceText(d, 4, 0, 'very '))
    const b = A.change(A.clone(base), (d) => spliceText(d, 13, 0, ' jumps'))
    const [ab, ba] = mergeBoth(a, b)
    expect(content(ab)).toBe('The very quick fox jumps')
    expect(content(ba)).toBe(content(ab))
  })

  it('[T4] setText makes a minimal change: a concurrent edit elsewhere survives', () => {
    const base = createText('line one\nline two\nline three\n')
    const a = A.change(A.clone(base), (d) => setText(d, 'line one\nline 2\nline three\n'))
    const b = A.change(A.clone(base), (d) => spliceText(d, 0, 0, '# '))
    const [ab, ba] = mergeBoth(a, b)
    expect(content(ab)).toBe('# line one\nline 2\nline three\n')
    expect(content(ba)).toBe(content(ab))
    expect(codeOf(() => A.change(base, (d) => setText(d, 5 as unknown as string)))).toBe('INVALID_ARGUMENT')
  })

  it('[T5] textAt returns the content at earlier heads', () => {
    let doc = createText('v1')
    const h1 = A.getHeads(doc)
    doc = A.change(doc, (d) => setText(d, 'version two'))
    const h2 = A.getHeads(doc)
    doc = A.change(doc, (d) => spliceText(d, 0, 7, 'v'))
    expect(textAt(doc, h1)).toBe('v1')
    expect(textAt(doc, h2)).toBe('version two')
    expect(textAt(doc, A.getHeads(doc))).toBe('v two')
  })

  it('[T5] textAt with heads this replica lacks or malformed heads is INVALID_ARGUMENT', () => {
    const doc = createText('x')
    const other = A.change(A.clone(doc), (d) => spliceText(d, 0, 0, 'y'))
    expect(codeOf(() => textAt(doc, A.getHeads(other)))).toBe('INVALID_ARGUMENT')
    expect(codeOf(() => textAt(doc, ['nothex']))).toBe('INVALID_ARGUMENT')
  })

  it('[T6] diffLines: same+removed gives the old text, same+added the new one', () => {
    const join = (parts: LineDiffPart[], keep: 'removed' | 'added'): string =>
      parts.filter((p) => p.op === 'same' || p.op === keep).flatMap((p) => p.lines).join('\n')
    const cases: Array<[string, string]> = [
      ['a\nb\nc', 'a\nB\nc'],
      ['', 'x\ny'],
      ['x\ny', ''],
      ['one\ntwo\nthree\nfour', 'zero\none\nthree\nfour\nfive'],
      ['same', 'same'],
    ]
    for (const [before, after] of cases) {
      const parts = diffLines(before, after)
      expect(join(parts, 'removed')).toBe(before)
      expect(join(parts, 'added')).toBe(after)
    }
    expect(diffLines('a\nb\nc', 'a\nB\nc')).toEqual([
      { op: 'same', lines: ['a'] },
      { op: 'removed', lines: ['b'] },
      { op: 'added', lines: ['B'] },
      { op: 'same', lines: ['c'] },
    ])
    expect(diffLines('same', 'same')).toEqual([{ op: 'same', lines: ['same'] }])
  })

  it('[T7][D2] readText refuses a document without text content or with another type tag', () => {
    for (const junk of [
      { type: 'quire/text', schemaVersion: 1 },
      { type: 'quire/text', schemaVersion: 1, content: 42 },
      { type: 'quire/chat', schemaVersion: 1, content: 'x' },
      { content: 'x' },
      'quire/text',
      null,
    ]) {
      const read = readText(junk)
      expect(read.ok).toBe(false)
      if (!read.ok) expect(read.error.code).toBe('INVALID_DOCUMENT')
    }
  })

  it('[D3] a missing schema version reads as 1, a newer one reads best effort; both with a problem', () => {
    const missing = readText({ type: 'quire/text', content: 'a' })
    expect(missing.ok && missing.value.schemaVersion === 1 && missing.problems.length === 1).toBe(true)
    const newer = readText({ type: 'quire/text', schemaVersion: 7, content: 'a' })
    expect(newer.ok).toBe(true)
    if (newer.ok) {
      expect(newer.value).toEqual({ schemaVersion: 7, content: 'a' })
      expect(newer.problems.map((p) => p.path)).toEqual(['/schemaVersion'])
    }
  })

  it('[T2] spliceText on a document whose content is not text is INVALID_DOCUMENT', () => {
    const broken = A.from({ type: 'quire/text', schemaVersion: 1, content: 3 }) as unknown as A.Doc<TextDoc>
    expect(codeOf(() => A.change(broken, (d) => spliceText(d, 0, 0, 'x')))).toBe('INVALID_DOCUMENT')
  })
})
