/** Chat panels over chat documents, with per-device last-read marks. */
import type { DocHandle } from '@automerge/automerge-repo'
import { countUnread, readChat } from '@quire/crdt'
import type { LastReadStore } from './last-read.js'

export { default as ChatPanel } from './ChatPanel.svelte'
export { ChatState } from './chat-state.svelte.js'
export { localStorageLastRead, memoryLastRead, type LastReadStore } from './last-read.js'

/** Unread messages in a chat for a badge outside the panel (0 while the chat is not loaded or unreadable). */
export function unreadCount(chat: DocHandle<unknown>, me: string, lastRead: LastReadStore): number {
  if (!chat.isReady()) return 0
  const read = readChat(chat.doc())
  return read.ok ? countUnread(read.value, lastRead.get(), me) : 0
}
