import type { DocHandle } from '@automerge/automerge-repo'
import { createSubscriber } from 'svelte/reactivity'

/**
 * Makes a document's changes reactive for Svelte: call the returned function in a getter, and whatever
 * read it runs again when the handle changes, or becomes ready (a handle that loads later has content then).
 */
export function docSubscriber(handle: DocHandle<unknown>): () => void {
  return createSubscriber((update) => {
    handle.on('change', update)
    void handle.whenReady().then(update, () => {})
    return () => handle.off('change', update)
  })
}
