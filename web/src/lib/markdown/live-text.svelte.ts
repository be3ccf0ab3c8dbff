/**
 * The text of a text document, read reactively (validated through `readText`): for previews that follow
 * an editor.
 */
import type { DocHandle } from '@automerge/automerge-repo'
import { readText } from '@quire/crdt'
import { docSubscriber } from '../peer/doc-subscriber.js'

export class LiveText {
  readonly #handle: DocHandle<unknown>
  readonly #subscribe: () => void

  constructor(handle: DocHandle<unknown>) {
    this.#handle = handle
    this.#subscribe = docSubscriber(handle)
  }

  /** The content, or undefined while loading or when the document is not readable text. */
  get text(): string | undefined {
    this.#subscribe()
    if (!this.#handle.isReady()) return undefined
    const read = readText(this.#handle.doc())
    return read.ok ? read.value.content : undefined
  }
}
