import { CodedError } from '@quire/crdt'
/**
 * Stable codes for what can go wrong on a `/quire/sync/1.0.0` stream. Relays export the per-code counters
 * as metrics, so the strings never change once released.
 */
export type SyncErrorCode =
  /** A frame's length prefix announced more bytes than the configured maximum frame size. */
  | 'FRAME_TOO_LARGE'
  /** The bytes are not a frame: a bad varint, undecodable CBOR, or a stream that ended mid-frame. */
  | 'MALFORMED_FRAME'
  /** A decoded frame is not an automerge-repo message of a known type and shape. */
  | 'INVALID_MESSAGE'
  /** A message's `senderId` is not the authenticated peer at the other end of the stream. */
  | 'WRONG_SENDER'
  /** A message's `targetId` is not this peer. */
  | 'WRONG_TARGET'
  /** The first frame on a stream was not a valid hello, or announced a protocol version we do not speak. */
  | 'BAD_HANDSHAKE'
  /** The peer read too slowly: our queue of frames for it grew past the limit. */
  | 'SEND_QUEUE_FULL'

/** An error met on a sync stream: the stream is reset, the peer and every other stream keep going. */
export class SyncError extends CodedError<SyncErrorCode> {}
