import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto'

/**
 * The Jupyter messaging protocol v5.3 wire format: `[...identities, '<IDS|MSG>', signature, header,
 * parent_header, metadata, content, ...buffers]`, signed with HMAC-SHA256 over the four JSON frames.
 */
export const PROTOCOL_VERSION = '5.3'
const DELIMITER = '<IDS|MSG>'

export interface MessageHeader {
  readonly msg_id: string
  readonly msg_type: string
  readonly session: string
  readonly username: string
  readonly date: string
  readonly version: string
}

export interface JupyterMessage {
  readonly header: MessageHeader
  /** Empty object when the message has no parent. */
  readonly parentHeader: Partial<MessageHeader>
  readonly metadata: Record<string, unknown>
  readonly content: Record<string, unknown>
  readonly buffers: readonly Buffer[]
}

/** See `MessageCodec.peek`. */
export interface MessagePeek {
  readonly msgType: string
  /** msg_id of the request it belongs to ('' for none). */
  readonly parentId: string
  /** Size of the content frame and any buffers. */
  readonly bytes: number
}

/** Signs and verifies frames for one kernel session (one HMAC key, one session id). */
export class MessageCodec {
  readonly #key: Buffer
  readonly session = randomUUID()

  constructor(key: string) {
    this.#key = Buffer.from(key, 'utf8')
  }

  /** A fresh message of our session. */
  create(msgType: string, content: Record<string, unknown>, parent?: MessageHeader): JupyterMessage {
    return {
      header: {
        msg_id: randomUUID(),
        msg_type: msgType,
        session: this.session,
        username: 'quire',
        date: new Date().toISOString(),
        version: PROTOCOL_VERSION,
      },
      parentHeader: parent ?? {},
      metadata: {},
      content,
      buffers: [],
    }
  }

  encode(message: JupyterMessage): Buffer[] {
    const parts = [message.header, message.parentHeader, message.metadata, message.content].map((part) =>
      Buffer.from(JSON.stringify(part), 'utf8'),
    )
    return [Buffer.from(DELIMITER), Buffer.from(this.#sign(parts)), ...parts, ...message.buffers]
  }

  /**
   * Decodes frames received from the kernel. Returns undefined for anything malformed or wrongly signed:
   * a kernel is untrusted code, so a bad frame is dropped rather than allowed to crash the compute peer.
   */
  decode(frames: readonly Buffer[]): JupyterMessage | undefined {
    const at = frames.findIndex((frame) => frame.length === DELIMITER.length && frame.toString() === DELIMITER)
    if (at < 0 || frames.length < at + 6) return undefined
    const signature = frames[at + 1]!
    const parts = frames.slice(at + 2, at + 6)
    const expected = Buffer.from(this.#sign(parts))
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return undefined
    try {
      const [header, parentHeader, metadata, content] = parts.map((part) => JSON.parse(part.toString('utf8')) as unknown)
      if (!isObject(header) || typeof header.msg_type !== 'string' || typeof header.msg_id !== 'string') return undefined
      return {
        header: header as unknown as MessageHeader,
        parentHeader: isObject(parentHeader) ? (parentHeader as Partial<MessageHeader>) : {},
        metadata: isObject(metadata) ? metadata : {},
        content: isObject(content) ? content : {},
        buffers: frames.slice(at + 6),
      }
    } catch {
      return undefined
    }
  }

  /**
   * What a message is and whom it answers, read from its two small frames without checking the signature
   * or parsing the content: enough to drop a message unread (output over a cell's limit), never to act on.
   */
  peek(frames: readonly Buffer[]): MessagePeek | undefined {
    const at = frames.findIndex((frame) => frame.length === DELIMITER.length && frame.toString() === DELIMITER)
    if (at < 0 || frames.length < at + 6) return undefined
    try {
      const header = JSON.parse(frames[at + 2]!.toString('utf8')) as unknown
      const parent = JSON.parse(frames[at + 3]!.toString('utf8')) as unknown
      if (!isObject(header) || typeof header.msg_type !== 'string') return undefined
      const parentId = isObject(parent) && typeof parent.msg_id === 'string' ? parent.msg_id : ''
      const bytes = frames.slice(at + 5).reduce((sum, frame) => sum + frame.length, 0)
      return { msgType: header.msg_type, parentId, bytes }
    } catch {
      return undefined
    }
  }

  #sign(parts: readonly Buffer[]): string {
    const hmac = createHmac('sha256', this.#key)
    for (const part of parts) hmac.update(part)
    return hmac.digest('hex')
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
