/**
 * The CodeMirror binding over chunked text documents (crdt/SPEC.md T8 to T20): with tiny chunks every edit
 * crosses chunk boundaries or makes new chunks, and the editors must still equal the documents.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import { Repo, type DocHandle } from '@automerge/automerge-repo'
import { EditorState } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { createText, readText, setTextChunkLimit, spliceText, type TextDoc } from '@quire/crdt'
import { createRandom } from '@quire/crdt/testing'
import { automergeText, textAtPath } from '../../src/lib/editor/automerge-text-binding.js'

const views: EditorView[] = []
let previous = 0
beforeEach(() => {
  previous = setTextChunkLimit(4)
})
afterEach(() => {
  for (const v of views.splice(0)) v.destroy()
  setTextChunkLimit(previous)
})

function editor(handle: DocHandle<unknown>): EditorView {
  const view = new EditorView({
    state: EditorState.create({ doc: textAtPath(handle.doc(), ['content']) ?? '', extensions: [automergeText(handle, ['content'])] }),
    parent: document.body,
  })
  views.push(view)
  return view
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

function pair(doc: A.Doc<unknown>): { a: DocHandle<unknown>; b: DocHandle<unknown> } {
  const a = new Repo().import<unknown>(A.save(doc))
  const b = new Repo().import<unknown>(A.save(a.doc() as A.Doc<unknown>), { docId: a.documentId })
  return { a, b }
}

function content(handle: DocHandle<unknown>): string {
  const read = readText(handle.doc())
  if (!read.ok) throw read.error
  return read.value.content
}

describe('the editor binding over chunked text', () => {
  it('[T16] reads the whole text, writes flat edits into chunks and moves a remote cursor past remote inserts only', async () => {
    const { a, b } = pair(createText('0123456789abcdefghij'))
    const viewA = editor(a)
    const viewB = editor(b)
    await tick()
    expect(viewA.state.doc.toString()).toBe('0123456789abcdefghij')
    viewB.dispatch({ selection: { anchor: 10 } })
    viewA.dispatch({ changes: { from: 4, insert: 'Q' } }) // into the chunk "345", which has room
    viewA.dispatch({ changes: { from: 18, insert: 'R' } })
    b.merge(a)
    expect(viewB.state.doc.toString()).toBe('0123Q456789abcdefgRhij')
    expect(viewB.state.selection.main.head).toBe(11)
    // Edits across chunks and longer than a chunk (new chunks).
    viewA.dispatch({ changes: { from: 2, to: 12, insert: 'x' } })
    viewA.dispatch({ changes: { from: 0, insert: 'BEFORE' } })
    expect(content(a)).toBe('BEFORE01xbcdefgRhij')
    expect(Object.keys(a.doc() as object).filter((k) => k.startsWith('chunk:')).length).toBeGreaterThan(6)
    b.merge(a)
    expect(viewB.state.doc.toString()).toBe('BEFORE01xbcdefgRhij')
  })

  it('[T22] stays equal to the documents under seeded random edits and merges', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const random = createRandom(seed)
      const { a, b } = pair(createText('abcdefghijklmnop'))
      const viewA = editor(a)
      const viewB = editor(b)
      await tick()
      for (let step = 0; step < 80; step++) {
        const view = random.chance(0.5) ? viewA : viewB
        const length = view.state.doc.length
        const from = random.int(0, length)
        const to = Math.min(length, from + random.int(0, 7))
        const insert = random.chance(0.7) ? random.pick(['x', 'yz', '\n', '😀', 'longer than a chunk', '']) : ''
        view.dispatch({ changes: { from, to, insert } })
        if (random.chance(0.3)) a.merge(b)
        if (random.chance(0.3)) b.merge(a)
        if (random.chance(0.2)) await tick()
      }
      a.merge(b)
      b.merge(a)
      await tick()
      expect(content(a), `seed ${seed}`).toBe(content(b))
      expect(viewA.state.doc.toString(), `seed ${seed}`).toBe(content(a))
      expect(viewB.state.doc.toString(), `seed ${seed}`).toBe(content(b))
    }
  })

  it('[T20] edits a document written before chunks', async () => {
    const legacy = A.from({ type: 'quire/text', schemaVersion: 1, content: 'an old long document' })
    const { a, b } = pair(legacy)
    const viewA = editor(a)
    const viewB = editor(b)
    await tick()
    viewA.dispatch({ changes: { from: 3, insert: 'NEW ' } })
    b.change((d) => spliceText(d as unknown as TextDoc, 20, 0, '!'))
    a.merge(b)
    b.merge(a)
    await tick()
    expect(content(a)).toBe('an NEW old long document!')
    expect(viewA.state.doc.toString()).toBe(content(a))
    expect(viewB.state.doc.toString()).toBe(content(a))
  })
})
