import { describe, expect, it } from 'vitest'
import { shareById, shareStructure } from '../../src/lib/notebook/share-structure.js'

describe('structural sharing', () => {
  it('returns the previous object when nothing changed, however deep', () => {
    const prev = { a: [1, { b: 'x' }], c: null }
    expect(shareStructure(prev, { a: [1, { b: 'x' }], c: null })).toBe(prev)
  })

  it('keeps unchanged parts and replaces changed ones', () => {
    const prev = { outputs: [{ text: 'a' }], source: 'x' }
    const next = shareStructure(prev, { outputs: [{ text: 'a' }], source: 'xy' })
    expect(next).not.toBe(prev)
    expect(next.outputs).toBe(prev.outputs)
    expect(next.source).toBe('xy')
  })

  it('notices added and removed keys and items', () => {
    const prev: Record<string, unknown> = { a: 1 }
    expect(shareStructure(prev, { a: 1, b: 2 })).toEqual({ a: 1, b: 2 })
    expect(shareStructure([1, 2], [1])).toEqual([1])
    expect(shareStructure({ a: 1, b: undefined }, { a: 1, c: undefined })).toEqual({ a: 1, c: undefined })
  })

  it('matches cells by id, so a cell inserted above keeps the others as they were', () => {
    const one = { id: 'one', source: 'a' }
    const two = { id: 'two', source: 'b' }
    const next = shareById([one, two], [{ id: 'new', source: '' }, { id: 'one', source: 'a' }, { id: 'two', source: 'b' }])
    expect(next[1]).toBe(one)
    expect(next[2]).toBe(two)
    const same = [one, two]
    expect(shareById(same, [{ ...one }, { ...two }])).toBe(same)
  })
})
