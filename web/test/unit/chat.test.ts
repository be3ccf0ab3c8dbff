// @vitest-environment jsdom
// Messages render through DOMPurify, which needs a full DOM (happy-dom drops headings).
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushSync, mount, unmount } from 'svelte'
import * as A from '@automerge/automerge'
import { Repo, type DocHandle } from '@automerge/automerge-repo'
import { createChat, postMessage, type ChatDoc } from '@quire/crdt'
import ChatPanel from '../../src/lib/chat/ChatPanel.svelte'
import { ChatState } from '../../src/lib/chat/chat-state.svelte.js'
import { localStorageLastRead, memoryLastRead } from '../../src/lib/chat/last-read.js'
import { unreadCount } from '../../src/lib/chat/index.js'
import { ProjectPresence } from '../../src/lib/presence/project-presence.svelte.js'
import { Hub } from './helpers/presence-hub.js'

const alice = { peerId: '12D3KooWAlice', name: 'Alice', color: '#ff0000' }
const bob = '12D3KooWBob'

function chatWith(messages: Array<{ id: string; author: string; time: number; text: string }>): DocHandle<unknown> {
  let doc = createChat()
  doc = A.change(doc, (d) => {
    for (const m of messages) postMessage(d, m)
  })
  return new Repo().import<unknown>(A.save(doc as A.Doc<unknown>))
}

const mounted: Array<Record<string, unknown>> = []
afterEach(() => {
  for (const c of mounted.splice(0)) unmount(c)
  document.body.innerHTML = ''
  localStorage.clear()
})

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0))
  flushSync()
}

describe('ChatState', () => {
  it('posts, edits and deletes, and counts unread messages from others', () => {
    const handle = chatWith([{ id: 'm1', author: bob, time: 1000, text: 'hi' }])
    const state = new ChatState(handle, alice.peerId)
    expect(state.unread(0)).toBe(1)
    expect(state.unread(1000)).toBe(0)
    const id = state.post('hello **bob**')
    state.edit(id, 'hello bob')
    expect(state.messages.map((m) => m.text)).toEqual(['hi', 'hello bob'])
    expect(state.messages[1]!.editedAt).not.toBeNull()
    state.remove(id)
    expect(state.messages[1]).toMatchObject({ deleted: true, text: '' })
    expect(() => state.post('   ')).toThrow(/not be blank|1 to/)
    expect(state.unread(0)).toBe(1)
  })

  it('reads junk as an error instead of throwing', () => {
    const state = new ChatState(new Repo().create<unknown>({ type: 'quire/text' }), alice.peerId)
    expect(state.error).toBeTruthy()
    expect(state.messages).toEqual([])
  })
})

describe('last-read stores', () => {
  it('keep the mark per key in localStorage and tolerate junk', () => {
    const a = localStorageLastRead('automerge:abc')
    expect(a.get()).toBe(0)
    a.set(1234)
    expect(localStorageLastRead('automerge:abc').get()).toBe(1234)
    expect(localStorageLastRead('automerge:other').get()).toBe(0)
    localStorage.setItem('quire:chat-read:automerge:junk', 'NaN?')
    expect(localStorageLastRead('automerge:junk').get()).toBe(0)
  })
})

describe('ChatPanel', () => {
  it('shows messages with names, a new-messages marker, and marks them read', async () => {
    const handle = chatWith([
      { id: 'm1', author: bob, time: 1000, text: 'old' },
      { id: 'm2', author: bob, time: 2000, text: 'new with $x^2$ and <script>alert(1)</script>' },
    ])
    const store = memoryLastRead(1500)
    expect(unreadCount(handle, alice.peerId, store)).toBe(1)
    const counts: number[] = []
    const target = document.createElement('div')
    document.body.appendChild(target)
    mounted.push(mount(ChatPanel, { target, props: { chat: handle, self: alice, people: { [bob]: { name: 'Bob' } }, lastRead: store, onUnreadChange: (n: number) => counts.push(n) } }))
    await settle()
    const items = Array.from(target.querySelectorAll('li')).map((li) => (li.classList.contains('unread-marker') ? 'NEW' : li.querySelector('.author')?.textContent))
    expect(items).toEqual(['Bob', 'NEW', 'Bob'])
    expect(target.querySelector('.katex')).not.toBeNull()
    expect(target.querySelector('script')).toBeNull()
    expect(store.get()).toBe(2000)
    expect(counts.at(-1)).toBe(0)
  })

  it('posts with Enter, edits and deletes own messages only', async () => {
    const handle = chatWith([{ id: 'm1', author: bob, time: 1000, text: 'from bob' }])
    const target = document.createElement('div')
    document.body.appendChild(target)
    mounted.push(mount(ChatPanel, { target, props: { chat: handle, self: alice, lastRead: memoryLastRead() } }))
    await settle()
    const box = target.querySelector<HTMLTextAreaElement>('textarea[aria-label="New message"]')!
    box.value = 'my message'
    box.dispatchEvent(new Event('input', { bubbles: true }))
    box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
    await settle()
    const messages = (): string[] => Array.from(target.querySelectorAll('li.message .body')).map((b) => b.textContent!.trim())
    expect(messages()).toEqual(['from bob', 'my message'])
    expect(box.value).toBe('')

    const bobs = target.querySelector('li.message[data-id="m1"]')!
    expect(bobs.querySelector('.actions')).toBeNull()
    const mine = Array.from(target.querySelectorAll('li.message.mine'))[0]!
    ;Array.from(mine.querySelectorAll('button')).find((b) => b.textContent === 'Edit')!.click()
    flushSync()
    const editBox = mine.querySelector<HTMLTextAreaElement>('textarea')!
    editBox.value = 'my edited message'
    editBox.dispatchEvent(new Event('input', { bubbles: true }))
    mine.querySelector<HTMLFormElement>('form')!.requestSubmit()
    await settle()
    expect(messages()).toEqual(['from bob', 'my edited message'])
    const myMessage = (): Element => Array.from(target.querySelectorAll('li.message.mine'))[0]!
    ;Array.from(myMessage().querySelectorAll('button')).find((b) => b.textContent === 'Delete')!.click()
    flushSync()
    ;Array.from(myMessage().querySelectorAll('button')).find((b) => b.textContent === 'Really delete')!.click()
    await settle()
    expect(messages()).toEqual(['from bob', 'message deleted'])
    const doc = handle.doc() as unknown as ChatDoc
    expect(Object.values(doc.messages).filter((m) => m.deleted)).toHaveLength(1)
  })
})

describe('ChatPanel with presence', () => {
  it('names online authors from presence and shows who is typing in this chat', async () => {
    const hub = new Hub()
    const mine = new ProjectPresence(hub.channel('repo-a'), alice)
    const theirs = new ProjectPresence(hub.channel('repo-b'), { peerId: bob, name: 'Bobby', color: '#00aa00' })
    mine.start()
    theirs.start()
    const handle = chatWith([{ id: 'm1', author: bob, time: 1000, text: 'hello' }])
    const target = document.createElement('div')
    document.body.appendChild(target)
    mounted.push(mount(ChatPanel, { target, props: { chat: handle, self: alice, presence: mine, lastRead: memoryLastRead() } }))
    await settle()
    expect(target.querySelector('.author')?.textContent).toBe('Bobby')
    expect(target.querySelector('.typing')).toBeNull()
    // Typing in an editor is not typing in the chat.
    theirs.setFile('some-file')
    theirs.noteTyping()
    await settle()
    expect(target.querySelector('.typing')).toBeNull()
    theirs.setFile('chat')
    await settle()
    expect(target.querySelector('.typing')?.textContent).toBe('Bobby is typing…')
    mine.stop()
    theirs.stop()
  })
})

describe('ChatPanel new-messages divider', () => {
  const markerShown = (target: HTMLElement): boolean => target.querySelector('li.unread-marker') !== null

  it('goes when we reply', async () => {
    const handle = chatWith([
      { id: 'm1', author: bob, time: 1000, text: 'old' },
      { id: 'm2', author: bob, time: 2000, text: 'new' },
    ])
    const target = document.createElement('div')
    document.body.appendChild(target)
    mounted.push(mount(ChatPanel, { target, props: { chat: handle, self: alice, lastRead: memoryLastRead(1500) } }))
    await settle()
    expect(markerShown(target)).toBe(true)
    const box = target.querySelector<HTMLTextAreaElement>('textarea[aria-label="New message"]')!
    box.value = 'thanks'
    box.dispatchEvent(new Event('input', { bubbles: true }))
    box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
    await settle()
    expect(markerShown(target)).toBe(false)
  })

  it('after the page was hidden and shown again, marks only what arrived while away', async () => {
    const handle = chatWith([{ id: 'm1', author: bob, time: 1000, text: 'old' }, { id: 'm2', author: bob, time: 2000, text: 'new' }])
    const target = document.createElement('div')
    document.body.appendChild(target)
    const store = memoryLastRead(1500)
    const counts: number[] = []
    mounted.push(mount(ChatPanel, { target, props: { chat: handle, self: alice, lastRead: store, onUnreadChange: (n: number) => counts.push(n) } }))
    await settle()
    const marked = (): string | undefined => target.querySelector('li.unread-marker + li.message')?.getAttribute('data-id') ?? undefined
    expect(marked()).toBe('m2')
    const state = vi.spyOn(document, 'visibilityState', 'get')
    state.mockReturnValue('hidden')
    document.dispatchEvent(new Event('visibilitychange'))
    state.mockReturnValue('visible')
    document.dispatchEvent(new Event('visibilitychange'))
    await settle()
    expect(marked()).toBeUndefined()
    // Away again; Bob writes meanwhile: back, the divider is above his new message only.
    state.mockReturnValue('hidden')
    document.dispatchEvent(new Event('visibilitychange'))
    handle.change((d) => postMessage(d as ChatDoc, { id: 'm3', author: bob, time: 3000, text: 'while you were away' }))
    await settle()
    state.mockReturnValue('visible')
    document.dispatchEvent(new Event('visibilitychange'))
    await settle()
    expect(marked()).toBe('m3')
    expect(counts.at(-2)).toBe(1) // unread while hidden
    expect(store.get()).toBe(3000) // read once shown again
    expect(counts.at(-1)).toBe(0)
    state.mockRestore()
  })
})
