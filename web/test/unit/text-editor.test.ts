import { afterEach, describe, expect, it } from 'vitest'
import { flushSync, mount, unmount } from 'svelte'
import * as A from '@automerge/automerge'
import { Repo, type DocHandle } from '@automerge/automerge-repo'
import { EditorView } from '@codemirror/view'
import { createText } from '@quire/crdt'
import TextEditor from '../../src/lib/editor/TextEditor.svelte'
import { languageExtension, languageOf } from '../../src/lib/editor/languages.js'
import { ProjectPresence } from '../../src/lib/presence/project-presence.svelte.js'
import { Hub } from './helpers/presence-hub.js'
import { getIndentUnit, indentUnit, language } from '@codemirror/language'
import { EditorState } from '@codemirror/state'

const alice = { peerId: '12D3KooWAlice', name: 'Alice', color: '#ff0000' }
const bob = { peerId: '12D3KooWBob', name: 'Bob', color: '#0000ff' }

const mounted: Array<Record<string, unknown>> = []
afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c)
  document.body.innerHTML = ''
})

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0))
  flushSync()
}

function viewIn(target: HTMLElement): EditorView {
  const dom = target.querySelector('.cm-editor')
  expect(dom).not.toBeNull()
  const view = EditorView.findFromDOM(dom as HTMLElement)
  expect(view).not.toBeNull()
  return view!
}

describe('TextEditor', () => {
  it('shows the text, writes edits to the document, and draws a remote cursor with its name', async () => {
    const handle = new Repo().import<unknown>(A.save(createText('print("hi")\n'))) as DocHandle<unknown>
    const hub = new Hub()
    const mine = new ProjectPresence(hub.channel('repo-a'), alice)
    const theirs = new ProjectPresence(hub.channel('repo-b'), bob)
    mine.start()
    theirs.start()
    const target = document.createElement('div')
    document.body.appendChild(target)
    mounted.push(mount(TextEditor, { target, props: { handle, fileName: 'src/main.py', fileId: 'f1', self: alice, presence: mine } }))
    await settle()
    const view = viewIn(target)
    expect(view.state.doc.toString()).toBe('print("hi")\n')
    view.dispatch({ changes: { from: 0, insert: '# ' } })
    expect((handle.doc() as { content: string }).content).toBe('# print("hi")\n')

    theirs.setActivity({ fileId: 'f1', cursor: { anchor: 2, head: 7 } })
    await settle()
    const label = target.querySelector('.cm-remote-label')
    expect(label?.textContent).toBe('Bob')
    expect(target.querySelector('.cm-remote-selection')?.textContent).toBe('print')
    // On the first line the name goes below the caret (above, the editor's edge cut it off: issue 18 item 13).
    expect(label?.classList.contains('cm-remote-label-below')).toBe(true)
    theirs.setActivity({ fileId: 'f1', cursor: { anchor: 14, head: 14 } })
    await settle()
    expect(target.querySelector('.cm-remote-label')?.classList.contains('cm-remote-label-below')).toBe(false)

    // A cursor in another file is not drawn here.
    theirs.setActivity({ fileId: 'f2', cursor: { anchor: 0, head: 0 } })
    await settle()
    expect(target.querySelector('.cm-remote-label')).toBeNull()
    mine.stop()
    theirs.stop()
  })

  it('says so instead of crashing on a document without text', async () => {
    const handle = new Repo().create<unknown>({ type: 'quire/text', content: 42 })
    const target = document.createElement('div')
    document.body.appendChild(target)
    mounted.push(mount(TextEditor, { target, props: { handle, fileName: 'x.md', self: alice } }))
    await settle()
    expect(target.querySelector('[role="alert"]')?.textContent).toMatch(/no readable text/)
    expect(target.querySelector('.cm-editor')).toBeNull()
  })
})

describe('languageOf', () => {
  it('picks highlighting by extension, LaTeX through the legacy stex mode', () => {
    expect(['a.py', 'b.md', 'paper.TEX', 'x.js', 'y.ts', 'z.json', 'run.sh', 'Makefile', 'notes.txt'].map(languageOf)).toEqual([
      'python',
      'markdown',
      'latex',
      'javascript',
      'typescript',
      'json',
      'shell',
      'plain',
      'plain',
    ])
    const latex = EditorState.create({ extensions: languageExtension('latex') })
    expect(latex.facet(language)?.name).toBe('stex')
  })

  it('indents by the language\'s convention: four spaces in Python (PEP 8), two in Markdown', () => {
    expect(getIndentUnit(EditorState.create({ extensions: languageExtension('python') }))).toBe(4)
    expect(EditorState.create({ extensions: languageExtension('python') }).facet(indentUnit)).toBe('    ')
    expect(getIndentUnit(EditorState.create({ extensions: languageExtension('markdown') }))).toBe(2)
  })
})
