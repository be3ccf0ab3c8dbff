/**
 * Other peers' cursors and selections in a CodeMirror view: a coloured caret with the peer's name and a
 * translucent selection. Positions come from presence; local edits map them until the next update arrives.
 */
import { RangeSetBuilder, StateEffect, StateField, type Extension, type Range } from '@codemirror/state'
import { Decoration, EditorView, WidgetType, type DecorationSet } from '@codemirror/view'
import { safeColor } from '../presence/presence-protocol.js'

/** One remote cursor to draw. */
export interface RemoteCursor {
  /** A stable key (the peer's sender id). */
  readonly key: string
  readonly name: string
  /** `#rrggbb`; anything else is drawn grey. */
  readonly color: string
  readonly anchor: number
  readonly head: number
}

/** Replaces the remote cursors shown in a view. */
export const setRemoteCursors = StateEffect.define<readonly RemoteCursor[]>()

class CaretWidget extends WidgetType {
  constructor(
    readonly name: string,
    readonly color: string,
    /** On the first line the label goes below the caret: above it, the editor's edge cut it off. */
    readonly below = false,
  ) {
    super()
  }

  override eq(other: CaretWidget): boolean {
    return other.name === this.name && other.color === this.color && other.below === this.below
  }

  toDOM(): HTMLElement {
    const caret = document.createElement('span')
    caret.className = 'cm-remote-caret'
    caret.style.borderLeftColor = this.color
    const label = document.createElement('span')
    label.className = this.below ? 'cm-remote-label cm-remote-label-below' : 'cm-remote-label'
    label.style.backgroundColor = this.color
    // textContent, never innerHTML: names come from other peers.
    label.textContent = this.name
    caret.appendChild(label)
    return caret
  }

  override ignoreEvent(): boolean {
    return true
  }
}

/**
 * The decorations for `cursors` in a document of `length` characters (out-of-range positions are clamped);
 * carets at or before `firstLineEnd` (the end of the first line) have their label below.
 */
export function remoteCursorDecorations(cursors: readonly RemoteCursor[], length: number, firstLineEnd = -1): DecorationSet {
  const ranges: Range<Decoration>[] = []
  for (const cursor of cursors) {
    const color = safeColor(cursor.color)
    const anchor = clamp(cursor.anchor, length)
    const head = clamp(cursor.head, length)
    if (anchor !== head) {
      const mark = Decoration.mark({ class: 'cm-remote-selection', attributes: { style: `background-color: ${color}33` } })
      ranges.push(mark.range(Math.min(anchor, head), Math.max(anchor, head)))
    }
    ranges.push(Decoration.widget({ widget: new CaretWidget(cursor.name, color, head <= firstLineEnd), side: 1 }).range(head))
  }
  ranges.sort((a, b) => a.from - b.from || a.value.startSide - b.value.startSide)
  const builder = new RangeSetBuilder<Decoration>()
  for (const r of ranges) builder.add(r.from, r.to, r.value)
  return builder.finish()
}

function clamp(value: number, length: number): number {
  return Number.isSafeInteger(value) ? Math.max(0, Math.min(value, length)) : 0
}

const remoteCursorField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(decorations, tr) {
    let next = decorations.map(tr.changes)
    for (const effect of tr.effects) {
      if (effect.is(setRemoteCursors)) next = remoteCursorDecorations(effect.value, tr.newDoc.length, tr.newDoc.line(1).to)
    }
    return next
  },
  provide: (field) => EditorView.decorations.from(field),
})

const remoteCursorTheme = EditorView.baseTheme({
  '.cm-remote-caret': { position: 'relative', borderLeft: '2px solid', marginLeft: '-1px', marginRight: '-1px' },
  '.cm-remote-label': {
    position: 'absolute',
    top: '-1.3em',
    left: '-2px',
    fontSize: '0.7em',
    lineHeight: '1.2',
    padding: '0 3px',
    borderRadius: '3px 3px 3px 0',
    color: 'white',
    whiteSpace: 'nowrap',
    pointerEvents: 'none',
    zIndex: '10',
  },
  '.cm-remote-label-below': { top: '1.2em', borderRadius: '0 3px 3px 3px' },
})

/** The extension that draws remote cursors; feed it with `view.dispatch({ effects: setRemoteCursors.of(...) })`. */
export function remoteCursors(): Extension {
  return [remoteCursorField, remoteCursorTheme]
}
