// @vitest-environment node
/**
 * The SyncTeX reader on hand-written files (format corners) and on the service level (codes, path mapping).
 * The check against TeX Live's own `synctex` command on a real build is in synctex-real.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { gzipSync } from 'fflate'
import { parseSynctex, projectPathOf, RecordKind, SynctexClient, SynctexError, SynctexLookup, SynctexService } from '../../src/lib/latex/synctex/index.js'

const SP = 65781.76 // scaled points per PDF point

/** A sp coordinate for a PDF-point value. */
const sp = (bp: number): number => Math.round(bp * SP)

/**
 * One page, two typeset lines of a paragraph from lines 5 to 7 of main.tex (each line's hbox recorded on line
 * 8, where the paragraph ended, as is one point inside), a line from an \input file, and a LuaTeX-style form
 * block that is no page.
 */
const FILE = [
  'SyncTeX Version:1',
  'Input:1:/home/quire/ws/paper/main.tex',
  'Input:2:/usr/share/texlive/texmf-dist/tex/latex/base/article.cls',
  'Output:pdf',
  'Magnification:1000',
  'Unit:1',
  'X Offset:0',
  'Y Offset:0',
  'Content:',
  '!120',
  '{1',
  `[1,8:${sp(72)},${sp(700)}:${sp(468)},${sp(628)},0`,
  `(1,8:${sp(72)},${sp(100)}:${sp(468)},${sp(8)},${sp(2)}`,
  `g1,5:${sp(72)},${sp(100)}`,
  `g1,5:${sp(150)},${sp(100)}`,
  `k1,6:${sp(300)},${sp(100)}:${sp(3)}`,
  ')',
  `(1,8:${sp(72)},${sp(112)}:${sp(468)},${sp(8)},${sp(2)}`,
  `g1,6:${sp(72)},${sp(112)}`,
  `x1,8:${sp(76)},${sp(112)}`,
  `$1,7:${sp(200)},${sp(112)}`,
  `$1,7:${sp(240)},${sp(112)}`,
  ')',
  'Input:3:./sections/intro.tex',
  `(3,2:${sp(72)},${sp(200)}:${sp(468)},${sp(8)},${sp(2)}`,
  `x3,2:${sp(80)},${sp(200)}`,
  ')',
  ']',
  '!400',
  '}1',
  '{1',
  `(1,5:${sp(0)},${sp(10)}:${sp(50)},${sp(8)},0`,
  ')',
  '}0',
  'Postamble:',
  'Count:12',
  '!500',
  'Post scriptum:',
].join('\n')

describe('parseSynctex', () => {
  it('reads inputs, records, nesting and coordinates in PDF points', () => {
    const index = parseSynctex(FILE)
    expect([...index.inputs]).toEqual([
      [1, '/home/quire/ws/paper/main.tex'], [2, '/usr/share/texlive/texmf-dist/tex/latex/base/article.cls'], [3, './sections/intro.tex'],
    ])
    expect(index.pages).toBe(1)
    // The form block (opened {1, closed }0) is dropped: no hbox at x=0.
    expect(Array.from(index.h).some((h) => h < 1)).toBe(false)
    expect(index.count).toBe(12)
    expect(index.kind[0]).toBe(RecordKind.VBox)
    expect(index.kind[1]).toBe(RecordKind.HBox)
    expect(index.parent[1]).toBe(0)
    expect(index.parent[2]).toBe(1)
    expect(index.kind[4]).toBe(RecordKind.Kern)
    expect(index.width[4]).toBeCloseTo(3, 3)
    expect(index.h[3]).toBeCloseTo(150, 3)
    expect(index.v[1]).toBeCloseTo(100, 3)
    expect(index.height[1]).toBeCloseTo(8, 3)
    expect(index.depth[1]).toBeCloseTo(2, 3)
    expect(index.parent[5]).toBe(0) // the second hbox: back in the vbox after ')'
  })

  it('applies the unit and the magnification', () => {
    const doubled = parseSynctex(FILE.replace('Unit:1', 'Unit:2').replace('Magnification:1000', 'Magnification:500'))
    expect(doubled.h[3]).toBeCloseTo(150, 3)
    const unit = parseSynctex(FILE.replace('Unit:1', 'Unit:2'))
    expect(unit.h[3]).toBeCloseTo(300, 3)
  })

  it('skips a damaged record and keeps reading; refuses a file that is not SyncTeX', () => {
    const damaged = parseSynctex(FILE.replace(`g1,5:${sp(150)},${sp(100)}`, 'g1,5:junk'))
    expect(damaged.count).toBe(11)
    expect(() => parseSynctex('%PDF-1.5\n')).toThrow(/not a SyncTeX file/)
  })
})

describe('SynctexLookup', () => {
  const lookup = new SynctexLookup(parseSynctex(FILE))

  it('forward: a line lands on the typeset lines (hboxes) that hold its output', () => {
    const five = lookup.forward([1], 5)
    expect(five.line).toBe(5)
    expect(five.rects).toHaveLength(1)
    expect(five.rects[0]).toMatchObject({ page: 1 })
    expect(five.rects[0]!.x).toBeCloseTo(72, 3)
    expect(five.rects[0]!.y).toBeCloseTo(92, 3) // baseline 100 minus height 8
    expect(five.rects[0]!.height).toBeCloseTo(10, 3) // height + depth
    // Line 6 is on both typeset lines: two boxes, top first.
    const six = lookup.forward([1], 6)
    expect(six.rects.map((r) => Math.round(r.y))).toEqual([92, 104])
  })

  it('forward: a line with no output goes to the next line that has some', () => {
    expect(lookup.forward([1], 3).line).toBe(5)
    expect(lookup.forward([1], 9999).rects).toEqual([])
    expect(lookup.forward([42], 5).rects).toEqual([])
  })

  it('inverse: a point on a typeset line gives the record at or before it along the line', () => {
    expect(lookup.inverse(1, 100, 98)).toEqual({ tag: 1, line: 5 })
    expect(lookup.inverse(1, 160, 98)).toEqual({ tag: 1, line: 5 })
    expect(lookup.inverse(1, 310, 98)).toEqual({ tag: 1, line: 6 })
    expect(lookup.inverse(1, 210, 110)).toEqual({ tag: 1, line: 7 })
    // A point the line breaking left with the paragraph's end line (the hbox's own) is passed over, as synctex does.
    expect(lookup.inverse(1, 80, 110)).toEqual({ tag: 1, line: 6 })
    expect(lookup.inverse(1, 100, 198)).toEqual({ tag: 3, line: 2 })
  })

  it('inverse: a point between lines goes to the nearest typeset line; off the pages, nothing', () => {
    expect(lookup.inverse(1, 100, 150)).toEqual({ tag: 1, line: 6 }) // 38 pt below line 2, 42 above the intro line
    expect(lookup.inverse(2, 100, 100)).toBeUndefined()
    expect(lookup.inverse(0, 100, 100)).toBeUndefined()
  })
})

describe('projectPathOf', () => {
  const paths = ['paper/main.tex', 'paper/sections/intro.tex', 'main.tex', 'refs.bib']

  it('resolves relative inputs against the main file folder, absolute ones by their longest tail', () => {
    expect(projectPathOf('./sections/intro.tex', paths, 'paper/main.tex')).toBe('paper/sections/intro.tex')
    expect(projectPathOf('sections/intro', paths, 'paper/main.tex')).toBe('paper/sections/intro.tex')
    expect(projectPathOf('/home/q/ws/paper/main.tex', paths, 'paper/main.tex')).toBe('paper/main.tex')
    expect(projectPathOf('/home/q/ws/main.tex', paths, 'main.tex')).toBe('main.tex')
    expect(projectPathOf('/usr/share/texlive/texmf-dist/tex/latex/base/article.cls', paths, 'main.tex')).toBeUndefined()
    expect(projectPathOf('./sub/../main.tex', paths, 'main.tex')).toBe('main.tex')
    // Workspace paths, as the compute peer rewrites them, are project paths.
    expect(projectPathOf('paper/sections/intro.tex', paths, 'paper/main.tex')).toBe('paper/sections/intro.tex')
    expect(projectPathOf('main.tex', paths, 'paper/main.tex')).toBe('main.tex')
    expect(projectPathOf('./main.tex', paths, 'paper/main.tex')).toBe('paper/main.tex')
    // pdfTeX's own form: the directory it ran in, `/./`, then the name relative to it.
    expect(projectPathOf('/tmp/build-1234/./sections/intro.tex', paths, 'paper/main.tex')).toBe('paper/sections/intro.tex')
    expect(projectPathOf('/tmp/build-1234/./main.tex', paths, 'paper/main.tex')).toBe('paper/main.tex')
  })
})

describe('SynctexService and SynctexClient (in this thread)', () => {
  const load = { bytes: gzipSync(new TextEncoder().encode(FILE)), mainPath: 'paper/main.tex', projectPaths: ['paper/main.tex', 'paper/sections/intro.tex'] }

  it('loads a gzipped file and answers by project path both ways', async () => {
    const client = new SynctexClient({ useWorker: false })
    const loaded = await client.load(load)
    expect(loaded).toEqual({ pages: 1, records: 12, sources: ['paper/main.tex', 'paper/sections/intro.tex'] })
    const forward = await client.forward('paper/sections/intro.tex', 2)
    expect(forward.rects[0]?.y).toBeCloseTo(192, 3)
    expect(await client.inverse(1, 100, 198)).toEqual({ path: 'paper/sections/intro.tex', input: './sections/intro.tex', line: 2 })
    expect((await client.forward('paper/other.tex', 2)).rects).toEqual([])
    client.close()
    await expect(client.forward('paper/main.tex', 5)).rejects.toMatchObject({ code: 'SYNCTEX_NOT_LOADED' })
  })

  it('says what is wrong with a request before a load, a damaged gzip, or a file that is not SyncTeX', () => {
    const service = new SynctexService()
    expect(() => service.inverse(1, 1, 1)).toThrow(SynctexError)
    expect(() => service.forward('x', 1)).not.toThrow() // an unknown path: no boxes, not an error
    const gz = gzipSync(new TextEncoder().encode(FILE))
    expect(() => service.load({ ...load, bytes: gz.slice(0, 30) })).toThrow(expect.objectContaining({ code: 'SYNCTEX_BAD_GZIP' }))
    expect(() => service.load({ ...load, bytes: new TextEncoder().encode('hello') })).toThrow(expect.objectContaining({ code: 'SYNCTEX_NOT_SYNCTEX' }))
    expect(() => service.handle({ type: 'nope' } as never)).toThrow(expect.objectContaining({ code: 'SYNCTEX_BAD_REQUEST' }))
  })
})
