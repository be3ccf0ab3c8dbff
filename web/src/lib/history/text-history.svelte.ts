/**
 * Time travel over a text document: its versions (one per change, in a topological order), the text at
 * any of them, a line diff against the current text, and restoring one as a new change.
 */
import * as A from '@automerge/automerge'
import type { DocHandle } from '@automerge/automerge-repo'
import { CodedError, diffLines, readText, setText, textAt, type LineDiffPart, type TextDoc } from '@quire/crdt'
import { docSubscriber } from '../peer/doc-subscriber.js'

/** One version: the document as it was right after one change. */
export interface TextVersion {
  /** The heads to view the document at (one change hash). */
  readonly heads: A.Heads
  /** When the change was made, by its author's clock (ms since 1970), if recorded. */
  readonly time: number | undefined
  /** The Automerge actor that made it (a per-device id, not a peer id). */
  readonly actor: string | undefined
}

/** The text at a version, or why it cannot be shown. */
export type VersionText = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly error: string }

export class TextHistory {
  readonly #handle: DocHandle<unknown>
  readonly #subscribe: () => void
  #key = ''
  #hashes: readonly string[] = []

  constructor(handle: DocHandle<unknown>) {
    this.#handle = handle
    this.#subscribe = docSubscriber(handle)
  }

  #doc(): A.Doc<unknown> | undefined {
    this.#subscribe()
    return this.#handle.isReady() ? (this.#handle.doc() as A.Doc<unknown>) : undefined
  }

  /** Change hashes from oldest to newest (recomputed only when the heads move). */
  get hashes(): readonly string[] {
    const doc = this.#doc()
    if (!doc) return []
    const key = A.getHeads(doc).join(',')
    if (key !== this.#key) {
      this.#key = key
      this.#hashes = A.topoHistoryTraversal(doc)
    }
    return this.#hashes
  }

  /** How many versions there are. */
  get count(): number {
    return this.hashes.length
  }

  /** The version at `index` (0 is the first change). */
  version(index: number): TextVersion | undefined {
    const hash = this.hashes[index]
    const doc = this.#doc()
    if (hash === undefined || !doc) return undefined
    let time: number | undefined
    let actor: string | undefined
    try {
      const change = A.inspectChange(doc, hash)
      // Automerge records seconds; 0 means the author's clock was not recorded.
      time = change && change.time > 0 ? change.time * 1000 : undefined
      actor = change?.actor
    } catch {
      // A change we cannot decode still has a position in history.
    }
    return { heads: [hash], time, actor }
  }

  /** The current text, or undefined when the document is not readable text. */
  get current(): string | undefined {
    const doc = this.#doc()
    if (!doc) return undefined
    const read = readText(doc)
    return read.ok ? read.value.content : undefined
  }

  /** The text right after change `index`. */
  textAt(index: number): VersionText {
    const doc = this.#doc()
    const hash = this.hashes[index]
    if (!doc || hash === undefined) return { ok: false, error: 'There is no such version.' }
    try {
      return { ok: true, text: textAt(doc as A.Doc<TextDoc>, [hash]) }
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) }
    }
  }

  /** Lines removed and added going from version `index` to the current text. */
  diffAgainstCurrent(index: number): LineDiffPart[] | undefined {
    const old = this.textAt(index)
    const current = this.current
    if (!old.ok || current === undefined) return undefined
    return diffLines(old.text, current)
  }

  /**
   * Makes the current text equal to version `index` as a new change (a minimal diff, so history is kept
   * and concurrent edits elsewhere survive). Throws with the reason when the version cannot be read.
   */
  restore(index: number): void {
    const old = this.textAt(index)
    if (!old.ok) throw new HistoryError('VERSION_UNREADABLE', `${old.error} Pick another version.`)
    this.#handle.change((doc) => setText(doc as unknown as TextDoc, old.text))
  }
}

/** A version that cannot be restored. */
export class HistoryError extends CodedError<'VERSION_UNREADABLE'> {}
