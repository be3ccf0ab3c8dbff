/**
 * Chat documents: one per project, optionally one per file. Messages are a map keyed by id (never a list,
 * which would reorder or duplicate under concurrency); readers order them by time, then id.
 */
import * as A from '@automerge/automerge'
import type { ImmutableString } from '@automerge/automerge'
import { CrdtError } from '../errors.js'
import { isRecord } from '../read/guards.js'
import { atom, newId, requireId, requirePeerId, requireTime } from './atoms.js'
import { DOCUMENT_TYPES, SCHEMA_VERSION } from './header.js'

/** The stored shape of one message. */
export interface StoredMessage {
  author: ImmutableString
  time: number
  /** Collaborative text, so an edit is a small change. */
  text: string
  editedAt: number | null
  /** Only ever set to true: a delete wins over a concurrent edit. */
  deleted: boolean
  replyTo?: ImmutableString | null
}

/** The stored shape of a chat document. Read it with `readChat`. */
export interface ChatDoc {
  type: typeof DOCUMENT_TYPES.chat
  schemaVersion: number
  /** The project file this chat is about, or null for the project's own chat. */
  fileId: ImmutableString | null
  messages: Record<string, StoredMessage>
}

/** Options for `createChat`. */
export interface ChatInit {
  /** Id of the project file this chat belongs to; omit for the project chat. */
  readonly fileId?: string | null
}

/** What `postMessage` needs. */
export interface NewMessage {
  /** A stable id; a random one by default. */
  readonly id?: string
  /** Peer id of the author. */
  readonly author: string
  /** Milliseconds since 1970; defaults to now. */
  readonly time?: number
  readonly text: string
  /** Id of the message this one answers. */
  readonly replyTo?: string | null
}

export const MAX_MESSAGE_LENGTH = 100_000

/** A new chat document (an Automerge document; also fine as the initial value of `repo.create`). */
export function createChat(init: ChatInit = {}): A.Doc<ChatDoc> {
  const fileId = init.fileId == null ? null : atom(requireId(init.fileId, 'fileId'))
  const doc: ChatDoc = { type: DOCUMENT_TYPES.chat, schemaVersion: SCHEMA_VERSION, fileId, messages: {} }
  return A.from(doc as unknown as Record<string, unknown>) as A.Doc<ChatDoc>
}

/** Inside a change: adds a message and returns its id. */
export function postMessage(doc: ChatDoc, message: NewMessage): string {
  const messages = messagesOf(doc)
  const id = message.id === undefined ? newId() : requireId(message.id, 'A message id')
  if (messages[id] !== undefined) throw new CrdtError('INVALID_ARGUMENT', `A message with id "${id}" already exists; pick another id.`)
  const stored: StoredMessage = {
    author: atom(requirePeerId(message.author, 'The author')),
    time: requireTime(message.time ?? Date.now(), 'time'),
    text: requireMessageText(message.text),
    editedAt: null,
    deleted: false,
  }
  if (message.replyTo != null) stored.replyTo = atom(requireId(message.replyTo, 'replyTo'))
  messages[id] = stored
  return id
}

/** Inside a change: replaces a message's text (a minimal text diff) and records when. */
export function editMessage(doc: ChatDoc, id: string, text: string, editedAt: number = Date.now()): void {
  const message = existing(doc, id)
  if (message.deleted === true) throw new CrdtError('INVALID_ARGUMENT', 'This message was deleted; it cannot be edited.')
  requireMessageText(text)
  requireTime(editedAt, 'editedAt')
  if (typeof (message as { text?: unknown }).text === 'string') A.updateText(message, ['text'], text)
  else message.text = text
  message.editedAt = editedAt
}

/** Inside a change: marks a message deleted and clears its text; it keeps its place in the chat. */
export function deleteMessage(doc: ChatDoc, id: string): void {
  const message = existing(doc, id)
  message.deleted = true
  if (typeof (message as { text?: unknown }).text === 'string' && message.text !== '') A.updateText(message, ['text'], '')
}

function requireMessageText(text: string): string {
  if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_MESSAGE_LENGTH) {
    throw new CrdtError('INVALID_ARGUMENT', `A message must be 1 to ${MAX_MESSAGE_LENGTH} characters and not blank.`)
  }
  return text
}

function messagesOf(doc: ChatDoc): Record<string, StoredMessage> {
  if (!isRecord(doc.messages)) doc.messages = {}
  return doc.messages
}

function existing(doc: ChatDoc, id: string): StoredMessage {
  const message = isRecord(doc.messages) && Object.prototype.hasOwnProperty.call(doc.messages, id) ? doc.messages[id] : undefined
  if (!isRecord(message)) {
    throw new CrdtError('UNKNOWN_MESSAGE', `No message "${String(id).slice(0, 80)}" in this chat; it may not have synced yet.`)
  }
  return message
}
