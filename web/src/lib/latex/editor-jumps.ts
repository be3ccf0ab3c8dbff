/**
 * Moving an editor's cursor to a line: for a click on an error, or an inverse search. A jump into another
 * file is left here for that file's editor, which takes it once it exists (the route changes first, and the
 * editor mounts later).
 */
import { EditorView } from '@codemirror/view'

const pending = new Map<string, number>()

/** Puts the cursor at the start of 1-based `line` (clamped to the text), scrolls it to the middle, and focuses. */
export function jumpToLine(view: EditorView, line: number): void {
  const n = Math.min(Math.max(1, Math.floor(line)), view.state.doc.lines)
  const at = view.state.doc.line(n).from
  view.dispatch({ selection: { anchor: at }, effects: EditorView.scrollIntoView(at, { y: 'center' }) })
  view.focus()
}

/** Leaves a jump for the editor of `fileId`, to be taken when it opens. */
export function requestJump(fileId: string, line: number): void {
  pending.set(fileId, line)
}

/** The line left for `fileId`, once. */
export function takeJump(fileId: string): number | undefined {
  const line = pending.get(fileId)
  pending.delete(fileId)
  return line
}

/** An `onView` for TextEditor that applies a jump left for `fileId`. */
export function applyPendingJump(fileId: string): (view: EditorView | undefined) => void {
  return (view) => {
    if (!view) return
    const line = takeJump(fileId)
    if (line !== undefined) jumpToLine(view, line)
  }
}

/** The 1-based line of the main cursor. */
export function cursorLine(view: EditorView): number {
  return view.state.doc.lineAt(view.state.selection.main.head).number
}
