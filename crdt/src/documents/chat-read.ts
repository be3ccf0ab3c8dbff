/**
 * Reading a chat document from any value: a bad message becomes a broken message, the others stay readable.
 */
import { CrdtError } from '../errors.js'
import { asBoolean, asNumber, asString, isRecord, type Problem } from '../read/guards.js'
import { isPeerIdString, isValidId } from './atoms.js'
import { DOCUMENT_TYPES, readHeader, safeRead, type DocumentReadResult } from './header.js'

/** A readable message. A deleted one has `deleted: true` and empty text, and keeps its place. */
export interface ChatMessage {
  readonly id: string
  readonly author: string
  readonly time: number
  readonly text: string
  readonly editedAt: number | null
  readonly deleted: boolean
  readonly replyTo: string | null
}

/** A message that could not be read; shown as broken. */
export interface BrokenMessage {
  readonly id: string
  readonly reason: string
}

/** What {@link readChat} returns for a readable chat. */
export interface ChatRead {
  readonly schemaVersion: number
  /** The project file this chat is about, or null for the project chat. */
  readonly fileId: string | null
  /** Ordered by time, then id (the same order on every peer). */
  readonly messages: readonly ChatMessage[]
  readonly brokenMessages: readonly BrokenMessage[]
}

/** Reads any value as a chat document; never throws. */
export function readChat(doc: unknown): DocumentReadResult<ChatRead> {
  return safeRead(DOCUMENT_TYPES.chat, () => {
    const problems: Problem[] = []
    const header = readHeader(doc, DOCUMENT_TYPES.chat, problems)
    if (header instanceof CrdtError) return { ok: false, error: header }
    const root = header.root
    const fileIdRaw = root['fileId']
    const fileIdText = asString(fileIdRaw)
    const fileId = fileIdText !== undefined && isValidId(fileIdText) ? fileIdText : null
    if (fileId === null && fileIdRaw != null) problems.push({ path: '/fileId', message: 'not a file id; read as the project chat' })
    const messages: ChatMessage[] = []
    const brokenMessages: BrokenMessage[] = []
    const stored = root['messages']
    if (isRecord(stored)) {
      for (const id of Object.keys(stored).sort()) {
        const read = readMessage(id, stored[id], problems)
        if ('reason' in read) {
          brokenMessages.push(read)
          problems.push({ path: `/messages/${id}`, message: read.reason })
        } else messages.push(read)
      }
    } else problems.push({ path: '/messages', message: 'missing or not a map; the chat shows no messages' })
    messages.sort(byTimeThenId)
    return { ok: true, value: { schemaVersion: header.schemaVersion, fileId, messages, brokenMessages }, problems }
  })
}

function readMessage(id: string, raw: unknown, problems: Problem[]): ChatMessage | BrokenMessage {
  const at = `/messages/${id}`
  if (!isValidId(id)) return { id, reason: 'the message id is not a valid id' }
  if (!isRecord(raw)) return { id, reason: 'the message is not a map' }
  const author = asString(raw['author'])
  if (!isPeerIdString(author)) return { id, reason: 'the message has no author peer id' }
  const time = asNumber(raw['time'])
  if (time === undefined) return { id, reason: 'the message has no time' }
  const deletedRaw = raw['deleted']
  const deleted = asBoolean(deletedRaw)
  if (deleted === undefined && deletedRaw !== undefined) problems.push({ path: `${at}/deleted`, message: 'not a boolean; read as false' })
  const isDeleted = deleted === true
  const text = asString(raw['text'])
  if (text === undefined && !isDeleted) return { id, reason: 'the message has no text' }
  const editedRaw = raw['editedAt']
  const editedAt = asNumber(editedRaw) ?? null
  if (editedAt === null && editedRaw != null) problems.push({ path: `${at}/editedAt`, message: 'not a time; ignored' })
  const replyRaw = raw['replyTo']
  const replyText = asString(replyRaw)
  const replyTo = replyText !== undefined && isValidId(replyText) ? replyText : null
  if (replyTo === null && replyRaw != null) problems.push({ path: `${at}/replyTo`, message: 'not a message id; ignored' })
  // A concurrent edit may have left characters in a deleted message's text: it stays hidden.
  return { id, author, time, text: isDeleted ? '' : text!, editedAt, deleted: isDeleted, replyTo }
}

function byTimeThenId(a: ChatMessage, b: ChatMessage): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/**
 * How many messages arrived after `lastReadTime` from someone other than `me` (deleted ones excluded).
 * The last-read time is per device and kept outside the document.
 */
export function countUnread(read: Pick<ChatRead, 'messages'>, lastReadTime: number, me: string): number {
  let count = 0
  for (const m of read.messages) if (!m.deleted && m.author !== me && m.time > lastReadTime) count++
  return count
}
