/**
 * The LaTeX view's parts that need no browser: the status line, build on pause, the per-user setting,
 * which files open as LaTeX documents, diagnostics in the editor's gutter, jumps to a line, and the build
 * state read live from a document (through @quire/crdt's LaTeX operations).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as A from '@automerge/automerge'
import { Repo } from '@automerge/automerge-repo'
import { EditorState } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { forEachDiagnostic } from '@codemirror/lint'
import { createText, setBuildOutcome, setBuildRun, type FileEntry, type LatexBuild, type LatexRead, type TextDoc } from '@quire/crdt'
import { buildBanner, formatDuration, outcomeBanner } from '../../src/lib/latex/build-status.js'
import { PauseBuilder } from '../../src/lib/latex/pause-builder.js'
import { cleanLatexSettings, LatexSettings } from '../../src/lib/latex/latex-settings.svelte.js'
import { isLatexMain, mainFor, rememberMain } from '../../src/lib/latex/latex-main.js'
import { buildDiagnostics, buildDiagnosticsExtension, showDiagnostics } from '../../src/lib/latex/latex-diagnostics.js'
import { applyPendingJump, cursorLine, jumpToLine, requestJump } from '../../src/lib/latex/editor-jumps.js'
import { LatexBuildState } from '../../src/lib/latex/latex-build-state.svelte.js'
import { fetchBlob } from '../../src/lib/latex/blob-fetch.js'

const PEER = '12D3KooWAlice'
const COMPUTE = '12D3KooWCompute'
const HASH = 'a'.repeat(64)

function outcome(partial: Partial<LatexBuild>): LatexBuild {
  return {
    id: 'r1', status: 'done', by: COMPUTE, engine: 'pdf', startedAt: 1000, finishedAt: 2200, durationMs: 1200, builtHeads: [],
    errors: [], warnings: [], errorCount: 0, warningCount: 0, ...partial,
  }
}

const online = { assigned: COMPUTE, online: true }
const request = { id: 'r2', by: PEER, at: 5000, heads: ['abc'], engine: 'pdf' as const }
const none: Pick<LatexRead, 'request' | 'run' | 'build'> = { request: undefined, run: undefined, build: undefined }

describe('the build status line', () => {
  it('says how long a build took, how many errors it had, and why it could not run', () => {
    expect(formatDuration(1234)).toBe('1.2 s')
    expect(formatDuration(15_400)).toBe('15 s')
    expect(formatDuration(125_000)).toBe('2 min 5 s')
    expect(outcomeBanner(outcome({}))).toEqual({ tone: 'ok', text: 'Built in 1.2 s' })
    expect(outcomeBanner(outcome({ warningCount: 3 })).detail).toBe('3 warnings')
    expect(outcomeBanner(outcome({ status: 'failed', errorCount: 2 }))).toMatchObject({ tone: 'error', text: 'Failed: 2 errors' })
    expect(outcomeBanner(outcome({ status: 'failed', errorCount: 1 })).text).toBe('Failed: 1 error')
    expect(outcomeBanner(outcome({ status: 'timeout', durationMs: 60_000 })).text).toBe('Stopped at the time limit after 1 min 0 s')
    expect(outcomeBanner(outcome({ status: 'error', code: 'LATEX_MISSING', message: 'latexmk is not installed' })))
      .toEqual({ tone: 'error', text: 'LaTeX is not installed on the compute peer.', detail: 'latexmk is not installed' })
    expect(outcomeBanner(outcome({ status: 'error', code: 'LATEX_NOT_A_WRITER' })).text).toMatch(/only writers/)
  })

  it('shows a request, a queued and a running build with its time, keeping the last result as detail', () => {
    expect(buildBanner({ ...none, request }, online, 6000)).toMatchObject({ tone: 'busy', text: 'Build requested…' })
    const run = { id: 'r2', status: 'running' as const, by: COMPUTE, at: 5100 }
    expect(buildBanner({ request, run, build: outcome({}) }, online, 13_500, 10_000)).toEqual({ tone: 'busy', text: 'Building… 3 s', detail: 'Last build: Built in 1.2 s' })
    expect(buildBanner({ request, run: { ...run, status: 'queued' }, build: undefined }, online, 6000).text).toMatch(/queued/)
    // Once the outcome names the request, it is idle again and shows the outcome.
    expect(buildBanner({ request, run: undefined, build: outcome({ id: 'r2' }) }, online, 6000).text).toBe('Built in 1.2 s')
    expect(buildBanner(none, online, 0)).toEqual({ tone: 'ok', text: 'Not built yet.' })
  })

  it('says when the project has no compute peer, or it is offline', () => {
    expect(buildBanner(none, { assigned: null, online: false }, 0)).toMatchObject({ tone: 'warning', text: expect.stringMatching(/No compute peer serves this project/) })
    expect(buildBanner({ ...none, request }, { assigned: COMPUTE, online: false }, 0)).toMatchObject({ tone: 'warning', text: expect.stringMatching(/offline/) })
  })
})

describe('build on pause', () => {
  afterEach(() => { vi.useRealTimers() })

  it('asks for one build when typing pauses, not one per keystroke, and only when enabled', () => {
    vi.useFakeTimers()
    let enabled = true
    const build = vi.fn()
    const pauses = new PauseBuilder({ pauseMs: 1000, enabled: () => enabled, build })
    for (let i = 0; i < 10; i++) {
      pauses.edited()
      vi.advanceTimersByTime(300)
    }
    expect(build).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1000)
    expect(build).toHaveBeenCalledTimes(1)
    enabled = false
    pauses.edited()
    vi.advanceTimersByTime(2000)
    expect(build).toHaveBeenCalledTimes(1)
    enabled = true
    pauses.edited()
    pauses.cancel()
    vi.advanceTimersByTime(2000)
    expect(build).toHaveBeenCalledTimes(1)
  })
})

describe('the build-on-pause setting', () => {
  it('is on by default, persists, and reads junk as the default', async () => {
    const stored = new Map<string, unknown>()
    const store = { get: async (k: string) => stored.get(k), put: async (k: string, v: unknown) => { stored.set(k, v) } }
    const settings = new LatexSettings(store)
    await settings.load()
    expect(settings.buildOnPause).toBe(true)
    await settings.setBuildOnPause(false)
    const again = new LatexSettings(store)
    await again.load()
    expect(again.buildOnPause).toBe(false)
    expect(cleanLatexSettings('junk')).toEqual({ buildOnPause: true })
    expect(cleanLatexSettings({ buildOnPause: 'no' })).toEqual({ buildOnPause: true })
  })
})

describe('which .tex files are LaTeX documents', () => {
  it('a .tex file with \\documentclass outside a comment is a main file', () => {
    expect(isLatexMain('paper/main.tex', '\\documentclass{article}\n\\begin{document}x\\end{document}')).toBe(true)
    expect(isLatexMain('main.tex', '')).toBe(false)
    expect(isLatexMain('sections/intro.tex', '\\section{Intro}\nText.')).toBe(false)
    expect(isLatexMain('sections/intro.tex', '% \\documentclass{article}\nText.')).toBe(false)
    expect(isLatexMain('notes.md', '\\documentclass{article}')).toBe(false)
    expect(isLatexMain('main.tex', undefined)).toBe(false)
  })

  it('a part is built by the main file last opened in the project, else by a main.tex in its folder or above', () => {
    const entry = (id: string, path: string): FileEntry => ({ id, path, displayPath: path, kind: 'text' } as unknown as FileEntry)
    const files = [entry('m', 'main.tex'), entry('t', 'thesis/main.tex'), entry('c', 'thesis/chapters/one.tex'), entry('x', 'other/x.tex'), entry('n', 'notes.md')]
    expect(mainFor('p1', files, 'thesis/chapters/one.tex')?.id).toBe('t')
    expect(mainFor('p1', files, 'other/x.tex')?.id).toBe('m')
    expect(mainFor('p1', files, 'notes.md')).toBeUndefined()
    rememberMain('p1', 'm')
    expect(mainFor('p1', files, 'thesis/chapters/one.tex')?.id).toBe('m')
    expect(mainFor('p1', [entry('c', 'one.tex')], 'one.tex')).toBeUndefined()
  })
})

describe('diagnostics and jumps in the editor', () => {
  function editor(text: string): EditorView {
    return new EditorView({ state: EditorState.create({ doc: text, extensions: [buildDiagnosticsExtension()] }), parent: document.body })
  }

  it('marks the lines of this file\'s errors and warnings, and none of another file\'s', () => {
    const view = editor('a\nb\nc\nd\n')
    const diagnostics = buildDiagnostics(
      [{ file: 'paper/main.tex', line: 2, message: 'Undefined control sequence.' }, { file: 'paper/sections/intro.tex', line: 1, message: 'elsewhere' }, { message: 'no place' }],
      [{ file: './paper/main.tex', line: 40, message: 'Overfull \\hbox' }],
    )
    showDiagnostics(view, diagnostics, 'paper/main.tex')
    const marks: Array<[number, string, string]> = []
    forEachDiagnostic(view.state, (d, from) => marks.push([view.state.doc.lineAt(from).number, d.severity, d.message]))
    // The warning's line 40 is past the end: it lands on the last line.
    expect(marks).toEqual([[2, 'error', 'Undefined control sequence.'], [5, 'warning', 'Overfull \\hbox']])
    view.destroy()
  })

  it('jumps to a line now, or when the other file\'s editor opens', () => {
    // Not in the document: happy-dom reports a focused editor's selection changes synchronously, inside
    // CodeMirror's own update, which browsers never do.
    const view = new EditorView({ state: EditorState.create({ doc: 'one\ntwo\nthree\n' }) })
    jumpToLine(view, 3)
    expect(cursorLine(view)).toBe(3)
    jumpToLine(view, 99)
    expect(cursorLine(view)).toBe(4)
    requestJump('file-b', 2)
    applyPendingJump('file-b')(view)
    expect(cursorLine(view)).toBe(2)
    jumpToLine(view, 1)
    applyPendingJump('file-b')(view) // taken once
    expect(cursorLine(view)).toBe(1)
    view.destroy()
  })
})

describe('the build state of a document', () => {
  it('asks for builds through the document and follows what the compute peer writes', async () => {
    const repo = new Repo()
    const handle = repo.import<unknown>(A.save(createText('\\documentclass{article}') as A.Doc<unknown>))
    let clock = 10_000
    const state = new LatexBuildState(handle, () => clock)
    const stop = state.start()
    const id = state.request(PEER)
    expect(state.read.request).toMatchObject({ id, by: PEER, engine: 'pdf' })
    expect(state.read.request!.heads.length).toBeGreaterThan(0)
    handle.change((doc) => setBuildRun(doc as unknown as TextDoc, { id, status: 'running', by: COMPUTE, at: 1 }))
    expect(state.runningSince).toBe(10_000)
    clock = 12_000
    handle.change((doc) => setBuildOutcome(doc as unknown as TextDoc, outcome({ id, pdf: { hash: HASH, size: 10 } })))
    expect(state.runningSince).toBeUndefined()
    expect(state.read.build).toMatchObject({ id, status: 'done', pdf: { hash: HASH } })
    stop()
  })
})

describe('fetching an output blob', () => {
  it('tries again until the blob is there, and stops when the view no longer wants it', async () => {
    let calls = 0
    const blobs = { get: async () => { if (++calls < 3) throw new Error('not yet'); return new Uint8Array([1]) } }
    const retries: unknown[] = []
    expect(await fetchBlob(blobs, HASH, new AbortController().signal, (e) => retries.push(e), 10)).toEqual(new Uint8Array([1]))
    expect(retries).toHaveLength(2)
    const abort = new AbortController()
    const never = fetchBlob({ get: async () => { throw new Error('nobody has it') } }, HASH, abort.signal, undefined, 10)
    setTimeout(() => abort.abort(new Error('closed')), 30)
    await expect(never).rejects.toThrow('closed')
  })
})
