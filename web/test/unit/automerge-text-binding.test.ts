import { describe, expect, it, afterEach } from 'vitest'
import * as A from '@automerge/automerge'
import { Repo, type DocHandle } from '@automerge/automerge-repo'
import { EditorState } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { createText } from '@quire/crdt'
import { createRandom, TestNetwork } from '@quire/crdt/testing'
import { automergeText, bindAutomergeText, minimalChange, textAtPath } from '../../src/lib/editor/automerge-text-binding.js'

const views: EditorView[] = []
afterEach(() => {
  for (const v of views.splice(0)) v.destroy()
})

function editor(handle: DocHandle<unknown>, path: A.Prop[] = ['content'], onError?: (e: unknown) => void): EditorView {
  const text = textAtPath(handle.doc(), path) ?? ''
  const view = new EditorView({
    state: EditorState.create({ doc: text, extensions: [automergeText(handle, path, { onError })] }),
    parent: document.body,
  })
  views.push(view)
  return view
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

function pair(content: string): { a: DocHandle<unknown>; b: DocHandle<unknown> } {
  const a = new Repo().import<unknown>(A.save(createText(content)))
  const b = new Repo().import<unknown>(A.save(a.doc() as A.Doc<unknown>), { docId: a.documentId })
  return { a, b }
}

function content(handle: DocHandle<unknown>): string | undefined {
  return textAtPath(handle.doc(), ['content'])
}

describe('bindAutomergeText / automergeText', () => {
  it('writes local edits into the document and remote changes into the other editor', async () => {
    const { a, b } = pair('hello')
    const viewA = editor(a)
    const viewB = editor(b)
    await tick()
    viewB.dispatch({ selection: { anchor: 2 } })
    viewA.dispatch({ changes: { from: 5, insert: ' world' } })
    viewA.dispatch({ changes: { from: 0, insert: '>> ' } })
    expect(content(a)).toBe('>> hello world')
    b.merge(a)
    expect(viewB.state.doc.toString()).toBe('>> hello world')
    // The remote insert before the cursor moved it along; the one after did not.
    expect(viewB.state.selection.main.head).toBe(5)
  })

  it('converges when both sides edit concurrently and merge', async () => {
    const { a, b } = pair('line one\nline two\n')
    const viewA = editor(a)
    const viewB = editor(b)
    await tick()
    viewA.dispatch({ changes: { from: 0, to: 4, insert: 'LINE' } })
    viewB.dispatch({ changes: { from: 9, to: 13, insert: 'Line' } })
    a.merge(b)
    b.merge(a)
    await tick()
    expect(content(a)).toBe('LINE one\nLine two\n')
    expect(viewA.state.doc.toString()).toBe(content(a))
    expect(viewB.state.doc.toString()).toBe(content(b))
  })

  it('stays equal to the document under seeded random edits and merges', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = createRandom(seed)
      const { a, b } = pair('abc')
      const viewA = editor(a)
      const viewB = editor(b)
      await tick()
      for (let step = 0; step < 60; step++) {
        const view = random.chance(0.5) ? viewA : viewB
        const length = view.state.doc.length
        const from = random.int(0, length)
        const to = Math.min(length, from + random.int(0, 2))
        const insert = random.chance(0.7) ? random.pick(['x', 'yz', '\n', '😀', '']) : ''
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

  it('applies a local edit at the version the editor showed, even if the document moved on', async () => {
    const { a } = pair('hello')
    // A listener that runs before the binding's and edits the view (an auto-formatter, say): the editor
    // still shows "hello" when its edit is made, though the document already says "Oh, hello".
    let view: EditorView | undefined
    let armed = false
    a.on('change', () => {
      if (!armed) return
      armed = false
      view!.dispatch({ changes: { from: 5, insert: '!' } })
    })
    view = editor(a)
    await tick()
    armed = true
    a.change((d) => A.splice(d as A.Doc<unknown>, ['content'], 0, 0, 'Oh, '))
    await tick()
    expect(content(a)).toBe('Oh, hello!')
    expect(view.state.doc.toString()).toBe('Oh, hello!')
  })

  it('refuses and undoes an edit when the text field was deleted', async () => {
    const handle = new Repo().create<unknown>({ cells: { c1: { source: 'x = 1' } } })
    const errors: unknown[] = []
    const view = editor(handle, ['cells', 'c1', 'source'], (e) => errors.push(e))
    await tick()
    handle.change((d) => {
      delete (d as { cells: Record<string, unknown> }).cells['c1']
    })
    view.dispatch({ changes: { from: 5, insert: '0' } })
    await tick()
    expect(errors).toHaveLength(1)
    expect((errors[0] as { code?: string }).code).toBe('TEXT_FIELD_MISSING')
    expect(handle.doc()).toEqual({ cells: {} })
    // The editor keeps the last text it had, without the refused edit.
    expect(view.state.doc.toString()).toBe('x = 1')
  })

  it('follows a text replaced through its parent', async () => {
    const handle = new Repo().create<unknown>({ cells: { c1: { source: 'old' } } })
    const view = editor(handle, ['cells', 'c1', 'source'])
    await tick()
    handle.change((d) => {
      ;(d as { cells: Record<string, unknown> }).cells['c1'] = { source: 'brand new' }
    })
    expect(view.state.doc.toString()).toBe('brand new')
  })

  it('binds an existing view: the document wins, and destroy stops syncing', async () => {
    const { a } = pair('from the doc')
    const view = new EditorView({ state: EditorState.create({ doc: 'stale' }), parent: document.body })
    views.push(view)
    const binding = bindAutomergeText(view, a, ['content'])
    await tick()
    expect(view.state.doc.toString()).toBe('from the doc')
    view.dispatch({ changes: { from: 0, insert: '1 ' } })
    expect(content(a)).toBe('1 from the doc')
    binding.destroy()
    view.dispatch({ changes: { from: 0, insert: '2 ' } })
    a.change((d) => A.splice(d as A.Doc<unknown>, ['content'], 0, 0, '#'))
    await tick()
    expect(content(a)).toBe('#1 from the doc')
    expect(view.state.doc.toString()).toBe('2 1 from the doc')
  })
})

describe('minimalChange', () => {
  it('replaces only the differing middle and never splits a surrogate pair', () => {
    const set = minimalChange('abcdef', 'abXdef')
    const touched: Array<[number, number, string]> = []
    set.iterChanges((fromA, toA, _fromB, _toB, inserted) => touched.push([fromA, toA, inserted.toString()]))
    expect(touched).toEqual([[2, 3, 'X']])
    const emoji = minimalChange('a😀b', 'a😃b')
    expect(emoji.apply(EditorState.create({ doc: 'a😀b' }).doc).toString()).toBe('a😃b')
    emoji.iterChanges((fromA, toA) => expect([fromA, toA]).toEqual([1, 3]))
    expect(minimalChange('same', 'same').empty).toBe(true)
  })
})

describe('two editors over a synced network', () => {
  it('converges through automerge-repo sync', async () => {
    const network = new TestNetwork({ seed: 3 })
    try {
      const repoA = await network.addRepo('repo-a')
      const repoB = await network.addRepo('repo-b')
      const a = repoA.import<unknown>(A.save(createText('shared\n') as A.Doc<unknown>))
      await network.runUntilQuiet()
      const b = await repoB.find<unknown>(a.url)
      const viewA = editor(a)
      const viewB = editor(b)
      await tick()
      viewA.dispatch({ changes: { from: 0, insert: 'A: ' } })
      viewB.dispatch({ changes: { from: 7, insert: 'B\n' } })
      await network.runUntilQuiet()
      await tick()
      expect(viewA.state.doc.toString()).toBe('A: shared\nB\n')
      expect(viewB.state.doc.toString()).toBe('A: shared\nB\n')
    } finally {
      await network.shutdown()
    }
  })
})
