import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import {
  createText,
  latexActivity,
  readLatex,
  readText,
  requestBuild,
  setBuildOutcome,
  setBuildRun,
  setLatexEngine,
  spliceText,
  type LatexBuild,
  type TextDoc,
} from '../src/index.js'
import { codeOf } from './helpers/error-code.js'

type Doc = A.Doc<TextDoc>
const ALICE = '12D3KooWAlice'
const BOB = '12D3KooWBob'
const PEER = '12D3KooWComputePeer'
const HASH = 'a'.repeat(64)
const headA = '1'.repeat(64)
const headB = '2'.repeat(64)
const headC = '3'.repeat(64)

const change = (doc: Doc, fn: (d: TextDoc) => void): Doc => A.change(doc, fn)
const heads = (doc: Doc): string[] => A.getHeads(doc)

function paper(): Doc {
  return A.change(createText('\\documentclass{article}\n'), () => {})
}

const outcome = (over: Partial<LatexBuild> = {}): LatexBuild => ({
  id: 'r1', status: 'done', by: PEER, engine: 'pdf', startedAt: 100, finishedAt: 900, durationMs: 800,
  builtHeads: ['d'.repeat(64)], pdf: { hash: HASH, size: 1000 }, synctex: { hash: 'b'.repeat(64), size: 200 },
  log: { hash: 'c'.repeat(64), size: 3000 },
  errors: [{ file: 'chapters/intro.tex', line: 12, message: 'Undefined control sequence.' }],
  warnings: [{ message: 'Citation `knuth84\' undefined.' }], errorCount: 1, warningCount: 1,
  ...over,
})

/** The document unchanged by `fn` (which must throw INVALID_ARGUMENT). */
function expectRefused(doc: Doc, fn: (d: TextDoc) => void, code = 'INVALID_ARGUMENT'): void {
  let after: Doc | undefined
  expect(codeOf(() => { after = A.change(doc, fn) })).toBe(code)
  expect(after).toBeUndefined()
  expect(readLatex(doc)).toEqual(readLatex(A.clone(doc)))
}

describe('LaTeX builds in a text document', () => {
  it('[B1] operations write only under latex, and refuse a document without text content', () => {
    let doc = paper()
    doc = change(doc, (d) => { requestBuild(d, { by: ALICE, heads: heads(doc), at: 5 }) })
    expect(doc.content).toBe('\\documentclass{article}\n')
    expect(Object.keys(doc).sort()).toEqual(['content', 'latex', 'schemaVersion', 'type'])
    const notText = A.from<Record<string, unknown>>({ type: 'quire/text', schemaVersion: 1 }) as unknown as Doc
    expect(codeOf(() => A.change(notText, (d) => setLatexEngine(d, 'xelatex')))).toBe('INVALID_DOCUMENT')
    expect(codeOf(() => A.change(notText, (d) => { requestBuild(d, { by: ALICE, heads: [headA] }) }))).toBe('INVALID_DOCUMENT')
  })

  it('[B2] the engine setting is stored, defaults to pdf, and an unknown engine is refused', () => {
    let doc = paper()
    expect(readLatex(doc).engine).toBe('pdf')
    doc = change(doc, (d) => setLatexEngine(d, 'lualatex'))
    expect(readLatex(doc).engine).toBe('lualatex')
    expectRefused(doc, (d) => setLatexEngine(d, 'tectonic' as never))
  })

  it('[B3] requestBuild replaces the request whole, returns its id and takes the file engine by default', () => {
    let doc = change(paper(), (d) => setLatexEngine(d, 'xelatex'))
    const h = heads(doc)
    let id = ''
    doc = change(doc, (d) => { id = requestBuild(d, { by: ALICE, heads: h, at: 10 }) })
    expect(readLatex(doc).request).toEqual({ id, by: ALICE, at: 10, heads: h, engine: 'xelatex' })
    doc = change(doc, (d) => { requestBuild(d, { by: BOB, heads: heads(doc), at: 20, engine: 'pdf', id: 'second' }) })
    expect(readLatex(doc).request).toMatchObject({ id: 'second', by: BOB, at: 20, engine: 'pdf' })
  })

  it('[B3] bad requests are INVALID_ARGUMENT and change nothing', () => {
    const doc = paper()
    const h = heads(doc)
    expectRefused(doc, (d) => { requestBuild(d, { by: '', heads: h }) })
    expectRefused(doc, (d) => { requestBuild(d, { by: ALICE, heads: [] }) })
    expectRefused(doc, (d) => { requestBuild(d, { by: ALICE, heads: ['not a head!'] }) })
    expectRefused(doc, (d) => { requestBuild(d, { by: ALICE, heads: Array(65).fill(headA) }) })
    expectRefused(doc, (d) => { requestBuild(d, { by: ALICE, heads: ['2NEpo7TZRRrLZSi2U'] }) })
    expectRefused(doc, (d) => { requestBuild(d, { by: ALICE, heads: h, at: -1 }) })
    expectRefused(doc, (d) => { requestBuild(d, { by: ALICE, heads: h, engine: 'tex' as never }) })
    expectRefused(doc, (d) => { requestBuild(d, { by: ALICE, heads: h, id: 'a/b' }) })
    expect(readLatex(doc).request).toBeUndefined()
  })

  it('[B4] setBuildRun replaces the run whole and null removes it', () => {
    let doc = change(paper(), (d) => setBuildRun(d, { id: 'r1', status: 'queued', by: PEER, at: 1 }))
    expect(readLatex(doc).run).toEqual({ id: 'r1', status: 'queued', by: PEER, at: 1 })
    doc = change(doc, (d) => setBuildRun(d, { id: 'r1', status: 'running', by: PEER, at: 2 }))
    expect(readLatex(doc).run?.status).toBe('running')
    expectRefused(doc, (d) => setBuildRun(d, { id: 'r1', status: 'done' as never, by: PEER, at: 2 }))
    expectRefused(doc, (d) => setBuildRun(d, { id: 'r 1', status: 'queued', by: PEER, at: 2 }))
    doc = change(doc, (d) => setBuildRun(d, null))
    expect(readLatex(doc).run).toBeUndefined()
  })

  it('[B5] setBuildOutcome writes the build as one value and clears the run', () => {
    let doc = change(paper(), (d) => setBuildRun(d, { id: 'r1', status: 'running', by: PEER, at: 1 }))
    doc = change(doc, (d) => setBuildOutcome(d, outcome()))
    const read = readLatex(doc)
    expect(read.run).toBeUndefined()
    expect(read.build).toEqual(outcome())
    expect(read.problems).toEqual([])
    const failed = outcome({ id: 'r2', status: 'error', code: 'LATEX_NOT_A_WRITER', message: 'not a writer', pdf: undefined, errors: [], warnings: [], errorCount: 0, warningCount: 0 })
    delete (failed as { pdf?: unknown }).pdf
    doc = change(doc, (d) => setBuildOutcome(d, failed))
    expect(readLatex(doc).build).toEqual(failed)
  })

  it('[B5] a malformed outcome is INVALID_ARGUMENT and changes nothing', () => {
    const doc = change(paper(), (d) => setBuildOutcome(d, outcome()))
    expectRefused(doc, (d) => setBuildOutcome(d, outcome({ status: 'running' as never })))
    expectRefused(doc, (d) => setBuildOutcome(d, outcome({ engine: 'x' as never })))
    expectRefused(doc, (d) => setBuildOutcome(d, outcome({ finishedAt: Number.NaN })))
    expectRefused(doc, (d) => setBuildOutcome(d, outcome({ pdf: { hash: 'XYZ', size: 1 } })))
    expectRefused(doc, (d) => setBuildOutcome(d, outcome({ log: { hash: HASH, size: 1.5 } })))
    expectRefused(doc, (d) => setBuildOutcome(d, outcome({ code: 'not snake' })))
    expectRefused(doc, (d) => setBuildOutcome(d, outcome({ errors: [{ line: 0, message: 'x' }] })))
    expectRefused(doc, (d) => setBuildOutcome(d, outcome({ errors: [{ file: '', message: 'x' }] })))
    expectRefused(doc, (d) => setBuildOutcome(d, outcome({ warnings: [{ message: 3 as never }] })))
    expectRefused(doc, (d) => setBuildOutcome(d, outcome({ errorCount: 0 })))
    expect(readLatex(doc).build).toEqual(outcome())
  })

  it('[B6] errors and warnings are bounded and the counts keep the totals', () => {
    const many = Array.from({ length: 250 }, (_, i) => ({ file: 'a.tex', line: i + 1, message: 'x'.repeat(800) }))
    const doc = change(paper(), (d) => setBuildOutcome(d, outcome({ errors: many, warnings: many, errorCount: 250, warningCount: undefined as never, message: 'm'.repeat(5000) })))
    const build = readLatex(doc).build!
    expect(build.errors).toHaveLength(200)
    expect(build.warnings).toHaveLength(200)
    expect(build.errors[0]!.message).toHaveLength(500)
    expect(build.message).toHaveLength(4096)
    expect(build.errorCount).toBe(250)
    expect(build.warningCount).toBe(200)
  })

  it('[B7] concurrent requests and outcomes resolve to one whole value on both peers', () => {
    const base = change(paper(), (d) => { requestBuild(d, { by: ALICE, heads: [headA], at: 1, id: 'first' }) })
    let a = A.clone(base, { actor: 'aa'.repeat(16) })
    let b = A.clone(base, { actor: 'bb'.repeat(16) })
    a = change(a, (d) => { requestBuild(d, { by: ALICE, heads: [headB], at: 5, id: 'fromA', engine: 'xelatex' }) })
    b = change(b, (d) => { requestBuild(d, { by: BOB, heads: [headC], at: 6, id: 'fromB', engine: 'lualatex' }) })
    a = change(a, (d) => setBuildOutcome(d, outcome({ id: 'x', status: 'done' })))
    b = change(b, (d) => setBuildOutcome(d, outcome({ id: 'y', status: 'failed', errors: [], errorCount: 0 })))
    const ab = A.merge(A.clone(a), b)
    const ba = A.merge(A.clone(b), a)
    const [ra, rb] = [readLatex(ab), readLatex(ba)]
    expect(ra).toEqual(rb)
    const written = [
      { id: 'fromA', by: ALICE, at: 5, heads: [headB], engine: 'xelatex' },
      { id: 'fromB', by: BOB, at: 6, heads: [headC], engine: 'lualatex' },
    ]
    expect(written).toContainEqual(ra.request)
    expect([outcome({ id: 'x' }), outcome({ id: 'y', status: 'failed', errors: [], errorCount: 0 })]).toContainEqual(ra.build)
  })

  it('[B8] strings under latex are atomic', () => {
    const doc = change(paper(), (d) => {
      requestBuild(d, { by: ALICE, heads: [headA], id: 'r1' })
      setBuildOutcome(d, outcome())
    })
    const latex = doc['latex' as keyof Doc] as unknown as Record<string, Record<string, unknown>>
    const request = latex['request']!
    const build = latex['build']!
    for (const value of [request['id'], request['by'], request['engine'], (request['heads'] as unknown[])[0], build['status'], build['by'],
      (build['pdf'] as Record<string, unknown>)['hash'], (build['errors'] as Record<string, unknown>[])[0]!['file'], (build['errors'] as Record<string, unknown>[])[0]!['message']]) {
      expect(A.isImmutableString(value)).toBe(true)
    }
  })

  it('[B9] the latex map survives save and load, and readText ignores it', () => {
    const doc = change(paper(), (d) => {
      setLatexEngine(d, 'lualatex')
      requestBuild(d, { by: ALICE, heads: [headA], at: 3, id: 'r1' })
      setBuildRun(d, { id: 'r1', status: 'running', by: PEER, at: 4 })
    })
    // A clone: an Automerge document changed later saves as its latest state.
    const done = change(A.clone(doc), (d) => setBuildOutcome(d, outcome()))
    for (const d of [doc, done]) expect(readLatex(A.load(A.save(d)))).toEqual(readLatex(d))
    expect(readText(done)).toMatchObject({ ok: true, problems: [] })
  })

  it('[B10] readLatex never throws and reads junk as absent with problems', () => {
    for (const junk of [undefined, null, 3, 'x', [], new Uint8Array(2), { latex: 5 }, { latex: { request: 'x', run: [], build: 7, engine: 9 } }]) {
      const read = readLatex(junk)
      expect(read.request).toBeUndefined()
      expect(read.run).toBeUndefined()
      expect(read.build).toBeUndefined()
      expect(read.engine).toBe('pdf')
    }
    const hostile = { get latex(): never { throw new Error('boom') } }
    expect(readLatex(hostile).problems.length).toBe(1)
    const partly = readLatex({ latex: {
      engine: 'tectonic',
      request: { id: 'r', by: ALICE, at: 1, heads: [], engine: 'pdf' },
      build: { ...outcome(), pdf: { hash: 'bad', size: 1 }, errors: [{ message: 'ok', line: -3, file: 7 }, 'junk', { line: 2 }] },
    } })
    expect(partly.engine).toBe('pdf')
    expect(partly.request).toBeUndefined()
    expect(partly.build?.pdf).toBeUndefined()
    expect(partly.build?.errors).toEqual([{ message: 'ok' }])
    expect(partly.problems.map((p) => p.path).sort()).toEqual(['/latex/build/errors/1', '/latex/build/errors/2', '/latex/build/pdf', '/latex/engine', '/latex/request'])
  })

  it('[B11] two concurrently created latex maps: the latest request, run and build across both are read', () => {
    const base = paper()
    let a = A.clone(base, { actor: 'aa'.repeat(16) })
    let b = A.clone(base, { actor: 'bb'.repeat(16) })
    a = change(a, (d) => { requestBuild(d, { by: ALICE, heads: [headB], at: 50, id: 'late' }) })
    b = change(b, (d) => {
      requestBuild(d, { by: BOB, heads: [headC], at: 10, id: 'early' })
      setBuildOutcome(d, outcome({ id: 'early' }))
    })
    const ab = readLatex(A.merge(A.clone(a), b))
    const ba = readLatex(A.merge(A.clone(b), a))
    expect(ab).toEqual(ba)
    expect(ab.request?.id).toBe('late')
    expect(ab.build?.id).toBe('early')
  })

  it('[B12] a latex field that is not a map reads as none and is replaced on the next write', () => {
    let doc = A.change(paper(), (d) => { (d as unknown as Record<string, unknown>)['latex'] = 'junk' })
    expect(readLatex(doc).problems).toEqual([{ path: '/latex', message: expect.any(String) }])
    doc = change(doc, (d) => { requestBuild(d, { by: ALICE, heads: [headA], id: 'r1' }) })
    expect(readLatex(doc).request?.id).toBe('r1')
    expect(readLatex(doc).problems).toEqual([])
  })

  it('[B13] latexActivity follows the run, then whether the request was built', () => {
    let doc = paper()
    expect(latexActivity(readLatex(doc))).toBe('idle')
    doc = change(doc, (d) => { requestBuild(d, { by: ALICE, heads: [headA], id: 'r1' }) })
    expect(latexActivity(readLatex(doc))).toBe('requested')
    doc = change(doc, (d) => setBuildRun(d, { id: 'r1', status: 'queued', by: PEER, at: 1 }))
    expect(latexActivity(readLatex(doc))).toBe('queued')
    doc = change(doc, (d) => setBuildRun(d, { id: 'r1', status: 'running', by: PEER, at: 2 }))
    expect(latexActivity(readLatex(doc))).toBe('running')
    doc = change(doc, (d) => setBuildOutcome(d, outcome({ id: 'r1' })))
    expect(latexActivity(readLatex(doc))).toBe('idle')
    doc = change(doc, (d) => spliceText(d, 0, 0, '%'))
    doc = change(doc, (d) => { requestBuild(d, { by: ALICE, heads: heads(doc), id: 'r2' }) })
    expect(latexActivity(readLatex(doc))).toBe('requested')
  })

  it('[B14] a build written without bounds reads bounded, with counts at least the entries read', () => {
    const errors = Array.from({ length: 300 }, () => ({ message: 'e' }))
    const read = readLatex({ latex: { build: { ...outcome(), errors, errorCount: 3, durationMs: undefined } } })
    expect(read.build?.errors).toHaveLength(200)
    expect(read.build?.errorCount).toBe(200)
    expect(read.build?.durationMs).toBe(800)
  })

  it('[B15] any SCREAMING_SNAKE code reads back as written', () => {
    const doc = change(paper(), (d) => setBuildOutcome(d, outcome({ status: 'error', code: 'SOME_FUTURE_CODE_2' })))
    expect(readLatex(doc).build?.code).toBe('SOME_FUTURE_CODE_2')
  })
})
