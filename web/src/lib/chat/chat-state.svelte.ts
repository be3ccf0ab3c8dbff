/**
 * A chat document, read reactively (validated through `readChat`), with the operations the panel offers.
 */
import type { DocHandle } from '@automerge/automerge-repo'
import { countUnread, deleteMessage, editMessage, postMessage, readChat, type ChatDoc, type ChatMessage, type ChatRead } from '@quire/crdt'
import { docSubscriber } from '../peer/doc-subscriber.js'

export class ChatState {
  readonly #handle: DocHandle<unknown>
  readonly #me: string
  readonly #subscribe: () => void
  #key = ''
  #read: ChatRead | undefined
  #error: string | undefined

  constructor(handle: DocHandle<unknown>, me: string) {
    this.#handle = handle
    this.#me = me
    this.#subscribe = docSubscriber(handle)
  }

  #refresh(): void {
    this.#subscribe()
    if (!this.#handle.isReady()) {
      this.#key = ''
      this.#read = this.#error = undefined
      return
    }
    const key = this.#handle.heads().join(',')
    if (key === this.#key) return
    this.#key = key
    const read = readChat(this.#handle.doc())
    this.#read = read.ok ? read.value : undefined
    this.#error = read.ok ? undefined : read.error.message
  }

  /** Messages in order (time, then id); deleted ones keep their place with `deleted: true`. */
  get messages(): readonly ChatMessage[] {
    this.#refresh()
    return this.#read?.messages ?? []
  }

  /** How many stored messages could not be read. */
  get brokenCount(): number {
    this.#refresh()
    return this.#read?.brokenMessages.length ?? 0
  }

  /** Why the chat cannot be read, if it cannot. */
  get error(): string | undefined {
    this.#refresh()
    return this.#error
  }

  get loading(): boolean {
    this.#subscribe()
    return !this.#handle.isReady()
  }

  /** The time of the newest message, or 0. */
  get latestTime(): number {
    const list = this.messages
    return list.length === 0 ? 0 : list[list.length - 1]!.time
  }

  /** Messages from others newer than `lastRead`. */
  unread(lastRead: number): number {
    return countUnread({ messages: this.messages }, lastRead, this.#me)
  }

  isMine(message: ChatMessage): boolean {
    return message.author === this.#me
  }

  /** Posts a message; returns its id. Throws INVALID_ARGUMENT for blank or oversized text. */
  post(text: string, replyTo?: string): string {
    let id = ''
    this.#handle.change((doc) => {
      id = postMessage(doc as unknown as ChatDoc, { author: this.#me, text, replyTo: replyTo ?? null })
    })
    return id
  }

  edit(id: string, text: string): void {
    this.#handle.change((doc) => editMessage(doc as unknown as ChatDoc, id, text))
  }

  remove(id: string): void {
    this.#handle.change((doc) => deleteMessage(doc as unknown as ChatDoc, id))
  }
}
