import { describe, expect, it } from 'vitest'
import type { MimeBundle } from '@quire/crdt'
import { chooseMime, describeBundle, imageDataUrl, isBlobRef, prettyJson } from '../../src/lib/notebook/output-mime.js'

const HASH = 'a'.repeat(64)

describe('chooseMime: the richest type we can show wins', () => {
  it('prefers HTML over images, LaTeX and plain text (a pandas DataFrame shows as a table)', () => {
    const plan = chooseMime({ 'text/plain': '   a\n0  1', 'text/html': '<table></table>', 'image/png': 'iVBO' })
    expect(plan).toMatchObject({ kind: 'html', mime: 'text/html', value: '<table></table>', isBlob: false })
  })

  it('prefers LaTeX over PNG and plain text (sympy)', () => {
    expect(chooseMime({ 'text/plain': 'x**2', 'image/png': 'iVBO', 'text/latex': '$x^2$' })?.kind).toBe('latex')
  })

  it('prefers an image over plain text (matplotlib)', () => {
    expect(chooseMime({ 'text/plain': '<Figure>', 'image/png': 'iVBO' })).toMatchObject({ kind: 'image', mime: 'image/png' })
  })

  it('never picks JavaScript: a bundle with JavaScript and text shows the text', () => {
    expect(chooseMime({ 'application/javascript': 'alert(1)', 'text/plain': 'fallback' })?.mime).toBe('text/plain')
    expect(chooseMime({ 'application/javascript': 'alert(1)' })).toBeUndefined()
  })

  it('shows application/json and vendor +json types as JSON', () => {
    expect(chooseMime({ 'application/json': { a: 1 } })).toMatchObject({ kind: 'json', value: { a: 1 } })
    expect(chooseMime({ 'application/vnd.x+json': [1] })).toMatchObject({ kind: 'json', mime: 'application/vnd.x+json' })
  })

  it('keeps blob references for the renderer to fetch', () => {
    const ref = { blob: HASH, size: 10, mime: 'image/png' }
    expect(chooseMime({ 'image/png': ref, 'text/plain': 'fig' })).toEqual({ kind: 'image', mime: 'image/png', value: ref, isBlob: true })
  })

  it('skips a value of the wrong kind and falls back to the next type', () => {
    const damaged = { 'text/html': 42, 'text/plain': 'ok' } as unknown as MimeBundle
    expect(chooseMime(damaged)).toMatchObject({ kind: 'text', value: 'ok' })
  })

  it('returns undefined for an empty or unknown bundle, and says what was there', () => {
    expect(chooseMime({})).toBeUndefined()
    expect(chooseMime({ 'application/x-weird': 'x' })).toBeUndefined()
    expect(describeBundle({ 'application/x-weird': 'x' })).toContain('application/x-weird')
  })
})

describe('helpers', () => {
  it('recognizes blob references only in their exact shape', () => {
    expect(isBlobRef({ blob: HASH, size: 1, mime: 'image/png' })).toBe(true)
    expect(isBlobRef({ blob: HASH, size: 1, mime: 'image/png', extra: 1 })).toBe(false)
    expect(isBlobRef('x')).toBe(false)
  })

  it('builds data URLs, removing line breaks from base64 and encoding SVG', () => {
    expect(imageDataUrl('image/png', 'iVBO\nRw0K\n')).toBe('data:image/png;base64,iVBORw0K')
    expect(imageDataUrl('image/svg+xml', '<svg/>')).toBe('data:image/svg+xml;charset=utf-8,%3Csvg%2F%3E')
  })

  it('pretty-prints JSON', () => {
    expect(prettyJson({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}')
  })
})
