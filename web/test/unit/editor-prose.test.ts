// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest'
import { EditorSelection, EditorState } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { insertNewlineContinueMarkup } from '@codemirror/lang-markdown'
import { languageExtension } from '../../src/lib/editor/languages.js'

Range.prototype.getClientRects = () => ({ length: 0, item: () => null, [Symbol.iterator]: [][Symbol.iterator] }) as unknown as DOMRectList
Range.prototype.getBoundingClientRect = () => new DOMRect(0, 0, 0, 0)

const views: EditorView[] = []
afterEach(() => { for (const v of views.splice(0)) v.destroy() })

function editor(doc: string): EditorView {
  const view = new EditorView({ state: EditorState.create({ doc, selection: EditorSelection.cursor(doc.length), extensions: languageExtension('markdown') }), parent: document.body })
  views.push(view)
  return view
}

/** Types `text` as the browser would: each character offered to the input handlers, else inserted. */
function type(view: EditorView, text: string): void {
  for (const ch of text) {
    const { from, to } = view.state.selection.main
    const handled = view.state.facet(EditorView.inputHandler).some((h) => h(view, from, to, ch, () => view.state.update({ changes: { from, to, insert: ch } })))
    if (!handled) view.dispatch({ changes: { from, to, insert: ch }, selection: EditorSelection.cursor(from + ch.length), userEvent: 'input.type' })
  }
}

function enter(view: EditorView): void {
  insertNewlineContinueMarkup({ state: view.state, dispatch: (tr) => view.dispatch(tr) })
}

describe('Markdown lists (issue 18, item 11)', () => {
  it('Enter continues the list; typing the marker anyway does not double it', () => {
    const view = editor('- first')
    enter(view)
    expect(view.state.doc.toString()).toBe('- first\n- ')
    type(view, '- second')
    expect(view.state.doc.toString()).toBe('- first\n- second')
  })

  it('works for numbered lists and nested items', () => {
    const numbered = editor('1. one')
    enter(numbered)
    type(numbered, '2. two')
    expect(numbered.state.doc.toString()).toBe('1. one\n2. two')
    const nested = editor('- a\n  - b')
    enter(nested)
    type(nested, '- c')
    expect(nested.state.doc.toString()).toBe('- a\n  - b\n  - c')
  })

  it('leaves a marker typed by hand alone (a thematic break "- - -", a dash after text)', () => {
    const view = editor('')
    type(view, '- - -')
    expect(view.state.doc.toString()).toBe('- - -')
    const after = editor('- first')
    enter(after)
    type(after, 'x - y')
    expect(after.state.doc.toString()).toBe('- first\n- x - y')
  })
})

describe('line wrapping (issue 18, item 10)', () => {
  const wraps = (view: EditorView): boolean => view.contentDOM.classList.contains('cm-lineWrapping')

  it('wraps Markdown, LaTeX and plain text by default, not code; Alt-Z switches it', () => {
    const md = new EditorView({ state: EditorState.create({ doc: '# Notes', extensions: languageExtension('markdown') }), parent: document.body })
    const py = new EditorView({ state: EditorState.create({ doc: 'x = 1', extensions: languageExtension('python') }), parent: document.body })
    const tex = new EditorView({ state: EditorState.create({ doc: '\\\\section{A}', extensions: languageExtension('latex') }), parent: document.body })
    views.push(md, py, tex)
    expect([wraps(md), wraps(py), wraps(tex)]).toEqual([true, false, true])
    const altZ = (view: EditorView): void => {
      view.contentDOM.dispatchEvent(new KeyboardEvent('keydown', { key: 'z', code: 'KeyZ', altKey: true, bubbles: true, cancelable: true }))
    }
    altZ(md)
    altZ(py)
    expect([wraps(md), wraps(py)]).toEqual([false, true])
    altZ(md)
    expect(wraps(md)).toBe(true)
  })
})
