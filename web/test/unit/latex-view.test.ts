/**
 * The LaTeX view mounted (happy-dom; the PDF itself is drawn only in the e2e test): what a writer and a reader
 * get, the build status read from the document, the error list, and a click on an error.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { flushSync, mount, unmount } from 'svelte'
import * as A from '@automerge/automerge'
import { Repo, type DocHandle } from '@automerge/automerge-repo'
import { createText, readLatex, setBuildOutcome, type FileEntry, type TextDoc } from '@quire/crdt'
import LatexView from '../../src/lib/latex/LatexView.svelte'
import { LatexSettings } from '../../src/lib/latex/latex-settings.svelte.js'

const alice = { peerId: '12D3KooWAlice', name: 'Alice', color: '#ff0000' }
const COMPUTE = '12D3KooWCompute'

const mounted: Array<Record<string, unknown>> = []
afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c)
  document.body.innerHTML = ''
})

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0))
  flushSync()
}

function setup(canWrite: boolean): { handle: DocHandle<unknown>; target: HTMLElement; opened: Array<[string, number]> } {
  const handle = new Repo().import<unknown>(A.save(createText('\\documentclass{article}\n\\begin{document}\nHi \\oops\n\\end{document}\n'))) as DocHandle<unknown>
  const file = { id: 'main', path: 'main.tex', displayPath: 'main.tex', kind: 'text', url: handle.url } as unknown as FileEntry
  const part = { id: 'part', path: 'sections/part.tex', displayPath: 'sections/part.tex', kind: 'text', url: 'automerge:x' } as unknown as FileEntry
  const target = document.createElement('div')
  document.body.appendChild(target)
  const opened: Array<[string, number]> = []
  const store = new Map<string, unknown>()
  mounted.push(mount(LatexView, {
    target,
    props: {
      handle, file, mainHandle: handle, mainFile: file, files: [file, part], self: alice, canWrite,
      cannotWrite: 'You are a reader of this project: writers build it.',
      compute: { assigned: COMPUTE, online: true },
      blobs: { get: () => new Promise<Uint8Array>(() => undefined) },
      settings: new LatexSettings({ get: async (k) => store.get(k), put: async (k, v) => { store.set(k, v) } }),
      onOpenFile: (id: string, line: number) => { opened.push([id, line]) },
    },
  }))
  return { handle, target, opened }
}

const button = (target: HTMLElement, id: string): HTMLButtonElement => target.querySelector(`[data-testid="${id}"]`) as HTMLButtonElement

describe('LatexView', () => {
  it('a writer\'s Build button asks for a build through the document; the status line follows it', async () => {
    const { handle, target } = setup(true)
    await settle()
    expect(button(target, 'latex-status').textContent).toContain('Not built yet.')
    button(target, 'latex-build').click()
    await settle()
    expect(readLatex(handle.doc()).request?.by).toBe(alice.peerId)
    expect(button(target, 'latex-status').textContent).toContain('Build requested')
    // The engine is the document's setting; changing it builds again with it.
    const engine = target.querySelector('[data-testid="latex-engine"]') as HTMLSelectElement
    expect(engine.value).toBe('pdf')
    engine.value = 'lualatex'
    engine.dispatchEvent(new Event('change', { bubbles: true }))
    await settle()
    expect(readLatex(handle.doc()).engine).toBe('lualatex')
    expect(readLatex(handle.doc()).request?.engine).toBe('lualatex')
  })

  it('a reader sees the results but the Build button is disabled and says why', async () => {
    const { handle, target } = setup(false)
    await settle()
    const build = button(target, 'latex-build')
    expect(build.disabled).toBe(true)
    expect(build.title).toMatch(/reader/)
    expect((target.querySelector('[data-testid="latex-engine"]') as HTMLSelectElement).disabled).toBe(true)
    expect(target.querySelector('[data-testid="latex-build-on-pause"]')).toBeNull()
    handle.change((doc) => setBuildOutcome(doc as unknown as TextDoc, {
      id: 'r1', status: 'failed', by: COMPUTE, engine: 'pdf', startedAt: 1, finishedAt: 2201, durationMs: 2200, builtHeads: [],
      errors: [{ file: 'main.tex', line: 3, message: 'Undefined control sequence.' }, { file: 'sections/part.tex', line: 12, message: 'Undefined control sequence.' }],
      warnings: [], errorCount: 2, warningCount: 0,
    }))
    await settle()
    expect(button(target, 'latex-status').textContent).toContain('Failed: 2 errors')
    const listed = [...target.querySelectorAll('[data-testid="latex-diagnostic"]')].map((el) => el.textContent?.replace(/\s+/g, ' ').trim())
    expect(listed).toEqual(['main.tex:3 Undefined control sequence.', 'sections/part.tex:12 Undefined control sequence.'])
  })

  it('a click on an error in another file opens that file at the line', async () => {
    const { handle, target, opened } = setup(true)
    await settle()
    handle.change((doc) => setBuildOutcome(doc as unknown as TextDoc, {
      id: 'r1', status: 'failed', by: COMPUTE, engine: 'pdf', startedAt: 1, finishedAt: 2, durationMs: 1, builtHeads: [],
      errors: [{ file: 'sections/part.tex', line: 12, message: 'Undefined control sequence.' }], warnings: [], errorCount: 1, warningCount: 0,
    }))
    await settle()
    ;(target.querySelector('[data-testid="latex-diagnostic"]') as HTMLButtonElement).click()
    expect(opened).toEqual([['part', 12]])
  })
})
