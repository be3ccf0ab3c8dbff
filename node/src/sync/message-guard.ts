import { next as A } from '@automerge/automerge'
import { isValidDocumentId, type Message, type PeerId, type PeerMetadata } from '@automerge/automerge-repo'
import { decode } from 'cbor-x'
import { SyncError } from './errors.js'

/** The protocol version carried in the hello frame; a peer announcing another major version is refused. */
export const SYNC_PROTOCOL_VERSION = 1

/** The first frame each side sends on a sync stream. */
export interface HelloFrame {
  type: 'quire-hello'
  version: number
  /** The sender's libp2p peer id string, which is also its automerge-repo peer id. */
  peerId: string
  metadata: PeerMetadata
}

type Obj = Record<string, unknown>

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array
const isStr = (v: unknown): v is string => typeof v === 'string'
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr)

function invalid(why: string): never {
  throw new SyncError('INVALID_MESSAGE', why)
}

/** Decodes a frame body as CBOR; undecodable bytes are a `MALFORMED_FRAME`. */
export function decodeFrameBody(body: Uint8Array): unknown {
  try {
    return decode(body)
  } catch (err) {
    throw new SyncError('MALFORMED_FRAME', `frame is not valid CBOR: ${(err as Error).message}`)
  }
}

/** Checks a decoded hello frame; `expectedPeer` is the authenticated remote peer id. */
export function checkHello(value: unknown, expectedPeer: string): HelloFrame {
  if (!isObj(value) || value.type !== 'quire-hello') {
    throw new SyncError('BAD_HANDSHAKE', 'the first frame on a sync stream must be a hello')
  }
  if (value.version !== SYNC_PROTOCOL_VERSION) {
    throw new SyncError('BAD_HANDSHAKE', `unsupported sync protocol version ${String(value.version)}`)
  }
  if (value.peerId !== expectedPeer) {
    throw new SyncError('WRONG_SENDER', 'hello names a peer other than the authenticated one')
  }
  const meta = isObj(value.metadata) ? value.metadata : {}
  const metadata: PeerMetadata = {}
  if (isStr(meta.storageId)) metadata.storageId = meta.storageId as PeerMetadata['storageId']
  if (typeof meta.isEphemeral === 'boolean') metadata.isEphemeral = meta.isEphemeral
  return { type: 'quire-hello', version: SYNC_PROTOCOL_VERSION, peerId: expectedPeer, metadata }
}

function checkDocumentId(m: Obj): void {
  if (!isStr(m.documentId) || !isValidDocumentId(m.documentId)) invalid(`${String(m.type)} without a valid documentId`)
}

// automerge-repo decodes these itself deep inside async code, where a throw becomes an unhandled rejection;
// so they are checked here, where a bad one only costs the sender its stream.
function checkSyncData(data: unknown): void {
  if (!isBytes(data)) invalid('sync message without data bytes')
  try {
    A.decodeSyncMessage(data)
  } catch {
    invalid('data is not an Automerge sync message')
  }
}

function checkEphemeralData(data: unknown): void {
  if (!isBytes(data)) invalid('ephemeral message without data bytes')
  try {
    decode(data)
  } catch {
    invalid('ephemeral data is not CBOR')
  }
}

/**
 * Checks that a decoded frame is an automerge-repo message this peer may accept from `remote`: a known type
 * with the fields that type needs, addressed to `self`. `senderId` must be `remote` except for ephemeral
 * messages, which the repo gossips onwards under their author's id.
 */
export function checkMessage(value: unknown, remote: string, self: string): Message {
  if (!isObj(value) || !isStr(value.type)) invalid('frame is not a message with a type')
  // Addressing is implied by the authenticated stream and omitted on the wire (Y20); restore it here.
  if (value.targetId === undefined) value.targetId = self
  if (value.senderId === undefined) value.senderId = remote
  if (!isStr(value.senderId) || !isStr(value.targetId)) invalid('message with a senderId/targetId that is not a string')
  if (value.targetId !== self) throw new SyncError('WRONG_TARGET', `message addressed to ${value.targetId}, not to us`)
  if (value.type !== 'ephemeral' && value.senderId !== remote) {
    throw new SyncError('WRONG_SENDER', `message claims sender ${value.senderId} on a stream from ${remote}`)
  }
  switch (value.type) {
    case 'sync':
    case 'request':
      checkDocumentId(value)
      checkSyncData(value.data)
      break
    case 'ephemeral':
      checkDocumentId(value)
      checkEphemeralData(value.data)
      if (typeof value.count !== 'number' || !isStr(value.sessionId)) invalid('ephemeral message without count/sessionId')
      break
    case 'doc-unavailable':
      checkDocumentId(value)
      break
    case 'remote-subscription-change':
      if ((value.add !== undefined && !isStrArray(value.add)) || (value.remove !== undefined && !isStrArray(value.remove))) {
        invalid('remote-subscription-change with bad add/remove')
      }
      break
    case 'remote-heads-changed':
      checkDocumentId(value)
      if (!isObj(value.newHeads)) invalid('remote-heads-changed without newHeads')
      for (const entry of Object.values(value.newHeads)) {
        if (!isObj(entry) || !isStrArray(entry.heads) || typeof entry.timestamp !== 'number') {
          invalid('remote-heads-changed with a bad heads entry')
        }
      }
      break
    default:
      invalid(`unknown message type ${value.type}`)
  }
  return value as unknown as Message & { senderId: PeerId }
}
