/**
 * Binds a CodeMirror 6 view to one Automerge text field of a document held by an automerge-repo DocHandle.
 *
 * Why not `@automerge/automerge-codemirror`: it splices without checking that the field is still text (a
 * deleted notebook cell or a junk document throws inside the editor), it ignores a field replaced through a
 * parent, and it applies local edits at the document's current heads even when a remote change has not
 * reached the editor yet. This binding applies local edits at the heads the editor last showed
 * (`changeAt`), so positions always mean what the user saw, and falls back to a minimal whole-text diff
 * whenever patches cannot be mapped, so the editor converges on the document no matter what.
 *
 * A text document's `['content']` is chunked (crdt/SPEC.md T8 to T20): the binding then reads and writes
 * flat positions through the crdt package (`readText`, `spliceText`, `flatTextChanges`), so a remote
 * keystroke costs the same in a long paper as in a short note.
 */
import * as A from '@automerge/automerge'
import { decodeHeads, encodeHeads, type DocHandle } from '@automerge/automerge-repo'
import { Annotation, ChangeSet, Compartment, StateEffect, type ChangeSpec, type Extension, type Text, type Transaction } from '@codemirror/state'
import { ViewPlugin, type EditorView, type ViewUpdate } from '@codemirror/view'
import { CodedError, DOCUMENT_TYPES, flatTextChanges, readText, spliceText, textLayout, type TextDoc, type TextLayout } from '@quire/crdt'

/** Marks transactions that carry remote changes into the editor, so they are not written back. */
export const remoteTextChange = Annotation.define<boolean>()

/** A path to a text field, e.g. `['content']` or `['cells', id, 'source']`. */
export type TextPath = readonly A.Prop[]

/** What {@link bindAutomergeText} returns. */
export interface TextBinding {
  /** Stops syncing; the view keeps its text. */
  destroy(): void
}

/** Options for {@link automergeText}. */
export interface AutomergeTextOptions {
  /** Called when a local edit could not be written (the field is gone or not text); the edit is undone. */
  readonly onError?: (error: unknown) => void
}

/** Reads the text at `path`, or undefined when the document has no text there. */
export function textAtPath(doc: unknown, path: TextPath): string | undefined {
  if (isChunkedText(doc, path)) {
    const read = readText(doc)
    return read.ok ? read.value.content : undefined
  }
  let node: unknown = doc
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string | number, unknown>)[key]
  }
  return typeof node === 'string' ? node : undefined
}

/**
 * A CodeMirror extension that keeps the editor and the text at `path` in `handle`'s document equal. The
 * handle must be ready. The editor's initial text should be the document's text; if it differs, the
 * document wins on the first sync.
 */
export function automergeText(handle: DocHandle<unknown>, path: TextPath, options: AutomergeTextOptions = {}): Extension {
  const target = [...path]
  return ViewPlugin.define((view) => new TextSync(view, handle, target, options))
}

/**
 * Binds an existing view to the text at `path` (`['content']` for a text document, `['cells', id, 'source']`
 * for a notebook cell). The view's text is replaced by the document's at once.
 */
export function bindAutomergeText(view: EditorView, handle: DocHandle<unknown>, path: TextPath, options: AutomergeTextOptions = {}): TextBinding {
  const compartment = new Compartment()
  view.dispatch({ effects: StateEffect.appendConfig.of(compartment.of(automergeText(handle, path, options))) })
  let bound = true
  return {
    destroy() {
      if (!bound) return
      bound = false
      view.dispatch({ effects: compartment.reconfigure([]) })
    },
  }
}

class TextSync {
  /** The document heads whose text the editor shows (hex Automerge heads). */
  #heads: A.Heads
  /** The latest heads at which the field existed: its text there is what a missing field shows. */
  #goodHeads: A.Heads
  /** Whether the field is text at `#heads`, so that a local edit can be applied there. */
  #textAtHeads: boolean
  /** A local edit may not have been taken as typed (half a surrogate pair): compare texts. */
  #verify = true
  #writing = false
  /** For chunked text: the chunks' layout at `#layoutHeads`, to map patches to flat changes. */
  #layout: TextLayout | undefined
  #layoutHeads: A.Heads = []
  #destroyed = false
  #scheduled = false

  constructor(
    private readonly view: EditorView,
    private readonly handle: DocHandle<unknown>,
    private readonly path: A.Prop[],
    private readonly options: AutomergeTextOptions,
  ) {
    this.#heads = A.getHeads(handle.doc() as A.Doc<unknown>)
    this.#goodHeads = this.#heads
    this.#textAtHeads = textAtPath(handle.doc(), path) !== undefined
    handle.on('change', this.#onChange)
    // The view may have been created with other text: the document wins. Not inside the constructor's update.
    this.#schedule()
  }

  update(update: ViewUpdate): void {
    const local = update.transactions.filter((tr) => tr.docChanged && tr.annotation(remoteTextChange) !== true)
    if (local.length === 0) return
    this.#writeLocal(local)
  }

  destroy(): void {
    this.#destroyed = true
    this.handle.off('change', this.#onChange)
  }

  #writeLocal(transactions: readonly Transaction[]): void {
    const path = this.path
    const chunked = isChunkedText(this.handle.doc(), path)
    let failure: unknown
    if (!this.#textAtHeads) {
      failure = new TextBindingError('TEXT_FIELD_MISSING', 'This text is no longer in the document (it was deleted or replaced); reopen it to keep editing.')
    } else {
      this.#writing = true
      try {
        // Reading the text inside a change would copy all of it on every keystroke: whether it is there was
        // settled at `#heads`, where this change applies. A throw inside leaves the document unchanged.
        const newHeads = this.handle.changeAt(encodeHeads(this.#heads), (doc) => {
          for (const tr of transactions) {
            tr.changes.iterChanges((fromA, toA, fromB, _toB, inserted) => {
              const text = inserted.toString()
              if (splitsSurrogate(tr.startState.doc, fromA, toA, text)) this.#verify = true
              if (chunked) spliceText(doc as TextDoc, fromB, toA - fromA, text)
              else A.splice(doc as A.Doc<unknown>, path.slice(), fromB, toA - fromA, text)
            })
          }
        })
        if (newHeads) {
          this.#heads = this.#goodHeads = decodeHeads(newHeads)
          if (chunked) this.#rememberLayout(this.handle.doc() as A.Doc<unknown>)
        }
      } catch (error) {
        failure = error
      } finally {
        this.#writing = false
      }
    }
    if (failure !== undefined) {
      this.#verify = true
      this.options.onError?.(failure)
    }
    // Other changes may have arrived before this edit, or it failed: reconcile once this update is over.
    this.#schedule()
  }

  #onChange = (): void => {
    if (this.#writing) return
    this.#reconcile(false)
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    queueMicrotask(() => {
      this.#scheduled = false
      this.#reconcile(this.#verify)
    })
  }

  /**
   * Brings the editor to the document's current text: by patches when they map, else by a minimal diff.
   * With `verify`, the texts are compared even when the heads did not move (a local edit the document
   * could not take as typed, such as half of a surrogate pair, or one that failed).
   */
  #reconcile(verify: boolean): void {
    if (this.#destroyed) return
    const doc = this.handle.doc() as A.Doc<unknown>
    const heads = A.getHeads(doc)
    const moved = !A.equals(heads, this.#heads)
    if (!moved && !verify) return
    this.#verify = false
    let wanted = textAtPath(doc, this.path)
    if (wanted === undefined) {
      // The field is gone: keep showing its last text (edits are refused with onError).
      this.#textAtHeads = false
      wanted = textAtPath(A.view(doc, this.#goodHeads), this.path)
      if (wanted === undefined) {
        this.#heads = heads
        return
      }
    } else {
      this.#goodHeads = heads
      this.#textAtHeads = true
    }
    const current = this.view.state.doc
    let changes = moved ? this.#patchChanges(doc, heads, current.length) : ChangeSet.empty(current.length)
    if (changes === null || changes.apply(current).toString() !== wanted) {
      changes = minimalChange(current.toString(), wanted)
    }
    this.#heads = heads
    if (isChunkedText(doc, this.path)) this.#rememberLayout(doc)
    if (changes.empty) return
    this.view.dispatch({ changes, annotations: [remoteTextChange.of(true)], scrollIntoView: false })
  }

  /** Remembers the layout of `doc` when it stands at `#heads` (else it is made from a view when needed). */
  #rememberLayout(doc: A.Doc<unknown>): void {
    const heads = A.getHeads(doc)
    if (!A.equals(heads, this.#heads)) return
    this.#layout = textLayout(doc)
    this.#layoutHeads = heads
  }

  /** The changes since `#heads` as one change set, or null when they touch the field in a way we cannot map. */
  #patchChanges(doc: A.Doc<unknown>, heads: A.Heads, length: number): ChangeSet | null {
    let patches: A.Patch[]
    try {
      patches = A.diff(doc, this.#heads, heads)
    } catch {
      return null
    }
    const path = this.path
    let set = ChangeSet.empty(length)
    if (isChunkedText(doc, path)) {
      const layout = A.equals(this.#layoutHeads, this.#heads) ? this.#layout : textLayout(A.view(doc, this.#heads))
      const flat = layout === undefined ? null : flatTextChanges(layout, patches)
      if (flat === null) return null
      try {
        for (const change of flat) set = set.compose(ChangeSet.of(change, set.newLength))
      } catch {
        return null
      }
      return set
    }
    for (const patch of patches) {
      if (!startsWith(patch.path, path)) {
        // A change above the field (a parent replaced or deleted) may replace the text itself.
        if (startsWith(path, patch.path)) return null
        continue
      }
      if (patch.path.length !== path.length + 1) {
        if (patch.path.length === path.length) return null
        continue
      }
      const index = patch.path[path.length]
      if (typeof index !== 'number') return null
      let spec: ChangeSpec
      if (patch.action === 'splice') spec = { from: index, insert: patch.value }
      else if (patch.action === 'del') spec = { from: index, to: index + (patch.length ?? 1) }
      else if (patch.action === 'mark' || patch.action === 'unmark') continue
      else return null
      try {
        set = set.compose(ChangeSet.of(spec, set.newLength))
      } catch {
        return null
      }
    }
    return set
  }
}

/** Whether `path` is the (chunked) text of a text document. */
function isChunkedText(doc: unknown, path: TextPath): boolean {
  return path.length === 1 && path[0] === 'content' && doc !== null && typeof doc === 'object' && (doc as { type?: unknown }).type === DOCUMENT_TYPES.text
}

function startsWith(path: readonly A.Prop[], prefix: readonly A.Prop[]): boolean {
  if (path.length < prefix.length) return false
  return prefix.every((key, i) => path[i] === key)
}

/** One replacement between the common prefix and suffix of two texts. */
export function minimalChange(before: string, after: string): ChangeSet {
  let start = 0
  const max = Math.min(before.length, after.length)
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++
  // Never split a surrogate pair: back off to its first half.
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) start--
  let endB = before.length
  let endA = after.length
  while (endB > start && endA > start && before.charCodeAt(endB - 1) === after.charCodeAt(endA - 1)) {
    endB--
    endA--
  }
  if (endB < before.length && isLowSurrogate(before.charCodeAt(endB))) {
    endB++
    endA++
  }
  if (start === endB && start === endA) return ChangeSet.empty(before.length)
  return ChangeSet.of({ from: start, to: endB, insert: after.slice(start, endA) }, before.length)
}

/** A failure of the editor binding, with a stable code. */
export class TextBindingError extends CodedError<'TEXT_FIELD_MISSING'> {}

/**
 * Whether replacing `from..to` of `doc` by `inserted` could leave half a surrogate pair, which Automerge
 * (storing whole code points) cannot hold as typed.
 */
function splitsSurrogate(doc: Text, from: number, to: number, inserted: string): boolean {
  if (from > 0 && isHighSurrogate(doc.sliceString(from - 1, from).charCodeAt(0))) return true
  if (to < doc.length && isLowSurrogate(doc.sliceString(to, to + 1).charCodeAt(0))) return true
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(inserted)
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff
}
