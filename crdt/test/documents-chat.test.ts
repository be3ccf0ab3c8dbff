import { describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import {
  countUnread,
  createChat,
  deleteMessage,
  editMessage,
  postMessage,
  readChat,
  type ChatDoc,
  type ChatRead,
} from '../src/index.js'
import { codeOf } from './helpers/error-code.js'

const ALICE = '12D3KooWAlice'
const BOB = '12D3KooWBob'

function read(doc: unknown): ChatRead {
  const result = readChat(doc)
  if (!result.ok) throw result.error
  return result.value
}


function edit(doc: A.Doc<ChatDoc>, fn: (d: ChatDoc) => void): A.Doc<ChatDoc> {
  return A.change(A.clone(doc), fn)
}

function mergeBoth<T>(a: A.Doc<T>, b: A.Doc<T>): [A.Doc<T>, A.Doc<T>] {
  return [A.merge(A.clone(a), b), A.merge(A.clone(b), a)]
}

function withTwoMessages(): A.Doc<ChatDoc> {
  return A.change(createChat(), (d) => {
    postMessage(d, { id: 'm1', author: ALICE, time: 100, text: 'Hello' })
    postMessage(d, { id: 'm2', author: BOB, time: 200, text: 'Hi Alice', replyTo: 'm1' })
  })
}

describe('chat documents', () => {
  it('[D1][C1] createChat makes an empty project chat, or one tied to a file', () => {
    const chat = createChat()
    expect([chat.type, chat.schemaVersion]).toEqual(['quire/chat', 1])
    expect(readChat(chat)).toEqual({ ok: true, value: { schemaVersion: 1, fileId: null, messages: [], brokenMessages: [] }, problems: [] })
    expect(read(createChat({ fileId: 'file-1' })).fileId).toBe('file-1')
    expect(codeOf(() => createChat({ fileId: 'a/b' }))).toBe('INVALID_ARGUMENT')
  })

  it('[C2][D7] postMessage stores author, time, text and reply; it survives save/load', () => {
    let id = ''
    const doc = A.change(withTwoMessages(), (d) => {
      id = postMessage(d, { author: ALICE, time: 300, text: 'How are you?' })
    })
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(read(A.load<ChatDoc>(A.save(doc))).messages).toEqual([
      { id: 'm1', author: ALICE, time: 100, text: 'Hello', editedAt: null, deleted: false, replyTo: null },
      { id: 'm2', author: BOB, time: 200, text: 'Hi Alice', editedAt: null, deleted: false, replyTo: 'm1' },
      { id, author: ALICE, time: 300, text: 'How are you?', editedAt: null, deleted: false, replyTo: null },
    ])
  })

  it('[C2] postMessage refuses a reused id, blank or oversized text, a bad author or time', () => {
    const doc = withTwoMessages()
    for (const bad of [
      { id: 'm1', author: ALICE, text: 'again' },
      { author: ALICE, text: '   ' },
      { author: ALICE, text: 'x'.repeat(100_001) },
      { author: 'not a peer', text: 'x' },
      { author: ALICE, text: 'x', time: Number.NaN },
      { author: ALICE, text: 'x', replyTo: 'bad id!' },
    ]) {
      expect(codeOf(() => A.change(doc, (d) => postMessage(d, bad)))).toBe('INVALID_ARGUMENT')
    }
  })

  it('[C3] messages are ordered by time, then id, whatever the insertion order', () => {
    const doc = A.change(createChat(), (d) => {
      postMessage(d, { id: 'c', author: ALICE, time: 50, text: 'third' })
      postMessage(d, { id: 'b', author: BOB, time: 10, text: 'second' })
      postMessage(d, { id: 'a', author: ALICE, time: 10, text: 'first' })
    })
    expect(read(doc).messages.map((m) => m.text)).toEqual(['first', 'second', 'third'])
  })

  it('[C4] editMessage replaces the text and records when; unknown or deleted messages are refused', () => {
    let doc = edit(withTwoMessages(), (d) => editMessage(d, 'm1', 'Hello everyone', 150))
    expect(read(doc).messages[0]).toMatchObject({ text: 'Hello everyone', editedAt: 150, deleted: false })
    expect(codeOf(() => A.change(doc, (d) => editMessage(d, 'nope', 'x')))).toBe('UNKNOWN_MESSAGE')
    expect(codeOf(() => A.change(doc, (d) => editMessage(d, 'm1', '')))).toBe('INVALID_ARGUMENT')
    doc = edit(doc, (d) => deleteMessage(d, 'm1'))
    expect(codeOf(() => A.change(doc, (d) => editMessage(d, 'm1', 'back')))).toBe('INVALID_ARGUMENT')
  })

  it('[C5] a deleted message keeps its place, shows as deleted with no text', () => {
    const doc = edit(withTwoMessages(), (d) => deleteMessage(d, 'm1'))
    expect(read(doc).messages.map((m) => [m.id, m.deleted, m.text])).toEqual([
      ['m1', true, ''],
      ['m2', false, 'Hi Alice'],
    ])
    expect(doc.messages['m1']?.text).toBe('')
    expect(codeOf(() => A.change(doc, (d) => deleteMessage(d, 'ghost')))).toBe('UNKNOWN_MESSAGE')
  })

  it('[C6] a concurrent edit and delete of one message leave it deleted on both peers', () => {
    const base = withTwoMessages()
    const editor = edit(base, (d) => editMessage(d, 'm1', 'Hello there, friends', 500))
    const deleter = edit(base, (d) => deleteMessage(d, 'm1'))
    const [ab, ba] = mergeBoth(editor, deleter)
    expect(read(ab).messages[0]).toMatchObject({ id: 'm1', deleted: true, text: '' })
    expect(read(ba)).toEqual(read(ab))
  })

  it('[C8] concurrent posts and concurrent edits of one message merge identically on both peers', () => {
    const base = withTwoMessages()
    const a = edit(base, (d) => {
      postMessage(d, { id: 'fromA', author: ALICE, time: 300, text: 'A says' })
      editMessage(d, 'm2', 'Hi Alice!', 301)
    })
    const b = edit(base, (d) => {
      postMessage(d, { id: 'fromB', author: BOB, time: 300, text: 'B says' })
      editMessage(d, 'm2', 'Oh, hi Alice', 302)
    })
    const [ab, ba] = mergeBoth(a, b)
    const merged = read(ab)
    expect(merged.messages.map((m) => m.id)).toEqual(['m1', 'm2', 'fromA', 'fromB'])
    // Text edits merge character-wise (both edits survive); editedAt is last writer wins.
    expect(merged.messages[1]!.text).toBe('Oh, hi Alice!')
    expect([301, 302]).toContain(merged.messages[1]!.editedAt)
    expect(read(ba)).toEqual(merged)
  })

  it('[C7] countUnread counts messages by others after the last read time, not deleted ones', () => {
    const doc = A.change(withTwoMessages(), (d) => {
      postMessage(d, { id: 'm3', author: BOB, time: 300, text: 'ping' })
      postMessage(d, { id: 'm4', author: BOB, time: 400, text: 'oops' })
      postMessage(d, { id: 'm5', author: ALICE, time: 500, text: 'mine' })
      deleteMessage(d, 'm4')
    })
    const r = read(doc)
    expect(countUnread(r, 0, ALICE)).toBe(2)
    expect(countUnread(r, 200, ALICE)).toBe(1)
    expect(countUnread(r, 300, ALICE)).toBe(0)
    expect(countUnread(r, 0, BOB)).toBe(2)
  })

  it('[D5] a broken message is listed as broken; the others stay readable', () => {
    const r = readChat({
      type: 'quire/chat',
      schemaVersion: 1,
      messages: {
        good: { author: ALICE, time: 1, text: 'fine', editedAt: null, deleted: false },
        noTime: { author: ALICE, text: 'x' },
        noText: { author: ALICE, time: 2, deleted: false },
        goneNoText: { author: BOB, time: 3, deleted: true },
        junkOptional: { author: BOB, time: 4, text: 'ok', editedAt: 'yesterday', replyTo: 7, deleted: 'maybe' },
        notAMap: [1, 2],
      },
    })
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.value.messages.map((m) => [m.id, m.text, m.deleted, m.editedAt, m.replyTo])).toEqual([
      ['good', 'fine', false, null, null],
      ['goneNoText', '', true, null, null],
      ['junkOptional', 'ok', false, null, null],
    ])
    expect(r.value.brokenMessages.map((m) => m.id)).toEqual(['noText', 'noTime', 'notAMap'])
    expect(r.problems.length).toBe(6)
  })
})
