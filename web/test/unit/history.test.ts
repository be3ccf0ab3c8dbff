import { afterEach, describe, expect, it } from 'vitest'
import { flushSync, mount, unmount } from 'svelte'
import * as A from '@automerge/automerge'
import { Repo, type DocHandle } from '@automerge/automerge-repo'
import { createText, readText, spliceText, type TextDoc } from '@quire/crdt'
import { TextHistory } from '../../src/lib/history/text-history.svelte.js'
import HistoryPanel from '../../src/lib/history/HistoryPanel.svelte'

function textDoc(): DocHandle<unknown> {
  const handle = new Repo().import<unknown>(A.save(createText('one\n') as A.Doc<unknown>))
  const edit = (i: number, del: number, ins: string): void => handle.change((d) => spliceText(d as unknown as TextDoc, i, del, ins))
  edit(4, 0, 'two\n') // "one\ntwo\n"
  edit(0, 3, 'ONE') // "ONE\ntwo\n"
  edit(8, 0, 'three\n') // "ONE\ntwo\nthree\n"
  return handle
}

const content = (h: DocHandle<unknown>): string => {
  const read = readText(h.doc())
  if (!read.ok) throw read.error
  return read.value.content
}

describe('TextHistory', () => {
  it('lists versions and shows the text at each', () => {
    const history = new TextHistory(textDoc())
    expect(history.count).toBe(4)
    expect([0, 1, 2, 3].map((i) => history.textAt(i))).toEqual([
      { ok: true, text: 'one\n' },
      { ok: true, text: 'one\ntwo\n' },
      { ok: true, text: 'ONE\ntwo\n' },
      { ok: true, text: 'ONE\ntwo\nthree\n' },
    ])
    const v = history.version(3)!
    expect(v.heads).toHaveLength(1)
    expect(Math.abs(v.time! - Date.now())).toBeLessThan(60_000)
    expect(history.textAt(99)).toMatchObject({ ok: false })
  })

  it('diffs a version against now', () => {
    const history = new TextHistory(textDoc())
    expect(history.diffAgainstCurrent(1)).toEqual([
      { op: 'removed', lines: ['one'] },
      { op: 'added', lines: ['ONE'] },
      { op: 'same', lines: ['two'] },
      { op: 'added', lines: ['three'] },
      { op: 'same', lines: [''] },
    ])
  })

  it('restores a version as a new change that keeps history and later concurrent edits', () => {
    const handle = textDoc()
    const history = new TextHistory(handle)
    // A peer's edit made concurrently with the restore, at the end of the text.
    const peer = A.change(A.clone(handle.doc() as A.Doc<TextDoc>, { actor: 'ab'.repeat(16) }), (d) => spliceText(d, 14, 0, 'four\n'))
    history.restore(1)
    expect(content(handle)).toBe('one\ntwo\n')
    expect(history.count).toBe(5)
    expect(history.textAt(3)).toEqual({ ok: true, text: 'ONE\ntwo\nthree\n' })
    handle.update((doc) => A.merge(doc as A.Doc<TextDoc>, peer) as A.Doc<unknown>)
    expect(content(handle)).toBe('one\ntwo\nfour\n')
  })

  it('reports a version that was not a text document instead of throwing', () => {
    const handle = new Repo().create<unknown>({ junk: true })
    handle.change((d) => {
      Object.assign(d as object, createText('now text'))
    })
    const history = new TextHistory(handle)
    const first = history.textAt(0)
    expect(first.ok).toBe(false)
    expect(() => history.restore(0)).toThrow(expect.objectContaining({ code: 'VERSION_UNREADABLE' }))
    expect(history.textAt(history.count - 1)).toEqual({ ok: true, text: 'now text' })
  })
})

describe('HistoryPanel', () => {
  const mounted: Array<Record<string, unknown>> = []
  afterEach(() => {
    for (const c of mounted.splice(0)) unmount(c)
  })

  it('moves through versions with the slider, shows the diff, and restores', () => {
    const handle = textDoc()
    const target = document.createElement('div')
    document.body.appendChild(target)
    let restored = 0
    mounted.push(mount(HistoryPanel, { target, props: { handle, onRestored: () => restored++ } }))
    flushSync()
    expect(target.textContent).toContain('Version 4 of 4')
    expect(target.textContent).toContain('No differences')
    const slider = target.querySelector<HTMLInputElement>('input[type="range"]')!
    slider.value = '0'
    slider.dispatchEvent(new Event('input', { bubbles: true }))
    flushSync()
    expect(target.textContent).toContain('Version 1 of 4')
    expect(Array.from(target.querySelectorAll('pre.diff .added')).map((s) => s.textContent!.trim())).toEqual(['+ ONE', '+ two', '+ three'])
    ;Array.from(target.querySelectorAll('button')).find((b) => b.textContent === 'Restore…')!.click()
    flushSync()
    ;Array.from(target.querySelectorAll('button')).find((b) => b.textContent?.startsWith('Restore version 1'))!.click()
    flushSync()
    expect(content(handle)).toBe('one\n')
    expect(restored).toBe(1)
    expect(target.textContent).toContain('Version 5 of 5')
  })
})
