/**
 * Markdown list continuation without the doubled marker (issue 18, item 11). Enter in a list item inserts the
 * next item's marker ("- "), as CodeMirror's Markdown mode does; a writer used to editors that do not, who
 * types "- " anyway, got "- - item". So when a marker was just put there by Enter and the writer types the same
 * kind of marker and a space right after it, the typed one replaces it. "- - -" typed by hand elsewhere (a
 * thematic break) is left alone: only a marker Enter inserted, with nothing else typed since, is replaced.
 */
import { EditorSelection, StateEffect, StateField, type Extension } from '@codemirror/state'
import { EditorView } from '@codemirror/view'

const MARKER = /\n([ \t]*)([-*+]|\d{1,9}[.)]) $/

/** Where the marker that Enter just inserted ends (the cursor right after it), or null. */
const continued = StateField.define<number | null>({
  create: () => null,
  update(value, tr) {
    for (const e of tr.effects) if (e.is(clear)) return null
    let inserted: number | null = null
    // Typing after the marker on its line (the marker the writer types) keeps it; anything else forgets it.
    let keep = value !== null
    tr.changes.iterChanges((fromA, toA, _fromB, toB, text) => {
      const t = text.toString()
      if (MARKER.test(t) && tr.state.selection.main.head === toB) inserted = toB
      else if (value === null || fromA < value || toA !== fromA || t.includes('\n')) keep = false
    })
    if (inserted !== null) return inserted
    if (!keep || value === null) return null
    const mapped = tr.changes.mapPos(value, -1)
    return tr.state.doc.lineAt(tr.state.selection.main.head).number === tr.state.doc.lineAt(mapped).number ? mapped : null
  },
})

const clear = StateEffect.define<null>()

function sameKind(a: string, b: string): boolean {
  const ordered = (m: string): boolean => /\d/.test(m)
  return ordered(a) ? ordered(b) : a === b
}

const replaceTyped = EditorView.inputHandler.of((view, from, to, text) => {
  const end = view.state.field(continued, false)
  if (text !== ' ' || end === null || end === undefined || from !== to) return false
  const line = view.state.doc.lineAt(from)
  const before = view.state.sliceDoc(line.from, from)
  const match = /^([ \t]*)([-*+]|\d{1,9}[.)]) ([-*+]|\d{1,9}[.)])$/.exec(before)
  if (match === null || line.from + match[1]!.length + match[2]!.length + 1 !== end || !sameKind(match[2]!, match[3]!)) return false
  // The typed marker (and its space) take the place of the inserted one.
  const start = line.from + match[1]!.length
  const typed = `${match[3]!} `
  view.dispatch({
    changes: { from: start, to: from, insert: typed },
    selection: EditorSelection.cursor(start + typed.length),
    effects: clear.of(null),
    userEvent: 'input.type',
  })
  return true
})

/** For Markdown editors: Enter's list marker is replaced by one the writer types right after it. */
export function markdownListTyping(): Extension {
  return [continued, replaceTyped]
}
