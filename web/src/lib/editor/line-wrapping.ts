/**
 * Line wrapping by kind of text (issue 18, item 10): prose (Markdown, LaTeX, plain text) wraps by default, code
 * does not; Alt-Z switches it in the open editor, as in VS Code.
 */
import { Compartment, type Extension } from '@codemirror/state'
import { EditorView, keymap } from '@codemirror/view'
import type { LanguageId } from './languages.js'

/** Whether `language` is prose that reads best wrapped. */
export function wrapsByDefault(language: LanguageId): boolean {
  return language === 'markdown' || language === 'latex' || language === 'plain'
}

/** Wrapping as `wrapsByDefault` says, with Alt-Z to switch it. */
export function lineWrapping(language: LanguageId): Extension {
  const slot = new Compartment()
  return [
    slot.of(wrapsByDefault(language) ? EditorView.lineWrapping : []),
    keymap.of([{
      key: 'Alt-z',
      run: (view) => {
        const on = slot.get(view.state) === EditorView.lineWrapping
        view.dispatch({ effects: slot.reconfigure(on ? [] : EditorView.lineWrapping) })
        return true
      },
    }]),
  ]
}
