/**
 * The presence wire format: ephemeral messages on a document handle, never written into the document.
 * Every field of a received message is checked, because any peer can send anything.
 */

/** A selection in a text: UTF-16 offsets, as in CodeMirror. `anchor === head` is a plain cursor. */
export interface PresenceCursor {
  readonly anchor: number
  readonly head: number
}

/** Who this browser is, as shown to others. */
export interface PresenceSelf {
  /** libp2p peer id of this browser. */
  readonly peerId: string
  /** Display name. */
  readonly name: string
  /** CSS hex colour (`#rrggbb`) for cursors and avatars. */
  readonly color: string
}

/** What this browser is doing; every field optional. */
export interface PresenceActivity {
  /** The project file open in the focused editor, or null. */
  readonly fileId?: string | null
  /** The selection in that file, or null. */
  readonly cursor?: PresenceCursor | null
  /** True while typing (cleared a few seconds after the last keystroke). */
  readonly typing?: boolean
}

/** One peer's presence as received and validated. */
export interface PeerPresence {
  /** The peer id the peer claims (its libp2p id); falls back to the sender id. */
  readonly peerId: string
  /** The automerge-repo peer the message came from (the key of this entry). */
  readonly senderId: string
  readonly name: string
  readonly color: string
  readonly fileId?: string
  readonly cursor?: PresenceCursor
  readonly typing?: boolean
  /** When the last message from this peer arrived (ms since 1970, local clock). */
  readonly lastSeen: number
}

/** The marker key of presence messages; other ephemeral messages on the handle are ignored. */
export const PRESENCE_KEY = 'quirePresence'
export const PRESENCE_VERSION = 1

/** The state a peer broadcasts. */
export interface PresenceState extends PresenceSelf {
  readonly fileId?: string
  readonly cursor?: PresenceCursor
  readonly typing?: boolean
}

/** A presence message: a full state (also the heartbeat) or a goodbye. */
export type PresenceMessage =
  | { readonly [PRESENCE_KEY]: typeof PRESENCE_VERSION; readonly kind: 'state'; readonly state: PresenceState }
  | { readonly [PRESENCE_KEY]: typeof PRESENCE_VERSION; readonly kind: 'bye' }

const MAX_NAME = 80
const MAX_OFFSET = 1_000_000_000
const FALLBACK_COLOR = '#888888'

export function stateMessage(state: PresenceState): PresenceMessage {
  return { [PRESENCE_KEY]: PRESENCE_VERSION, kind: 'state', state }
}

export function byeMessage(): PresenceMessage {
  return { [PRESENCE_KEY]: PRESENCE_VERSION, kind: 'bye' }
}

/** A colour safe to put into a style attribute: only `#rgb` / `#rrggbb` pass. */
export function safeColor(value: unknown): string {
  return typeof value === 'string' && /^#(?:[0-9a-fA-F]{3}){1,2}$/.test(value) ? value : FALLBACK_COLOR
}

function safeName(value: unknown, fallback: string): string {
  if (typeof value !== 'string') return fallback
  // Control characters could fake line breaks or direction in labels.
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').trim()
  return clean === '' ? fallback : clean.slice(0, MAX_NAME)
}

function safeId(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(value) ? value : undefined
}

function safePeerId(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\x21-\x7e]{1,256}$/.test(value) ? value : undefined
}

function safeOffset(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_OFFSET ? value : undefined
}

function safeCursor(value: unknown): PresenceCursor | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const anchor = safeOffset((value as Record<string, unknown>)['anchor'])
  const head = safeOffset((value as Record<string, unknown>)['head'])
  return anchor === undefined || head === undefined ? undefined : { anchor, head }
}

/**
 * Reads an ephemeral message as presence: a validated peer entry, `'bye'`, or undefined when it is not a
 * presence message (or is junk). Never throws.
 */
export function readPresenceMessage(message: unknown, senderId: string, now: number): PeerPresence | 'bye' | undefined {
  if (message === null || typeof message !== 'object') return undefined
  const m = message as Record<string, unknown>
  if (m[PRESENCE_KEY] !== PRESENCE_VERSION) return undefined
  if (m['kind'] === 'bye') return 'bye'
  if (m['kind'] !== 'state') return undefined
  const raw = m['state']
  if (raw === null || typeof raw !== 'object') return undefined
  const s = raw as Record<string, unknown>
  const peerId = safePeerId(s['peerId']) ?? senderId
  const entry: { -readonly [K in keyof PeerPresence]: PeerPresence[K] } = {
    peerId,
    senderId,
    name: safeName(s['name'], peerId.slice(-6)),
    color: safeColor(s['color']),
    lastSeen: now,
  }
  const fileId = safeId(s['fileId'])
  if (fileId !== undefined) entry.fileId = fileId
  const cursor = safeCursor(s['cursor'])
  if (cursor !== undefined) entry.cursor = cursor
  if (s['typing'] === true) entry.typing = true
  return entry
}
