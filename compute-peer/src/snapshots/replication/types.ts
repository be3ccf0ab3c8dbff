/**
 * Replication of a project's snapshots to a standby compute peer (N19-N29): the types and stable codes
 * shared by the sending side (the compute peer serving the project) and the receiving side (another peer
 * holding the project's `compute` grant, which does not serve it).
 */
import { CodedError } from '@quire/crdt'
import type { SnapshotInfo } from '../types.js'

/** Stable codes of {@link ReplicaError}; the protocol, logs and tests use them, so they never change. */
export type ReplicaErrorCode =
  /** The sender or the receiver does not hold the project's `compute` grant, or the receiver serves the project itself. */
  | 'REPLICA_ACCESS_DENIED'
  /** A replica frame is not well formed (not a CBOR map, unknown op, missing or mistyped field, too large). */
  | 'REPLICA_REQUEST_INVALID'
  /** The incremental transfer names a parent snapshot the receiver does not hold; send it whole. */
  | 'REPLICA_PARENT_MISSING'
  /** The transfer's format (`btrfs`) is not one the receiver can take; send files instead. */
  | 'REPLICA_FORMAT_UNSUPPORTED'
  /** The transfer stopped before its end frame (or with fewer bytes than announced); nothing was kept. */
  | 'REPLICA_INCOMPLETE'
  /** What arrived does not match what the sender declared (stream digest, a file's digest, the tree's shape); nothing was kept. */
  | 'REPLICA_CORRUPT'
  /** The host could not make or read the replica (a command failed, the disk refused). */
  | 'REPLICA_FAILED'
  /** No replicated snapshot of the project is held here. */
  | 'REPLICA_NOT_FOUND'

/** A replication step was refused or failed; the message says what to do. */
export class ReplicaError extends CodedError<ReplicaErrorCode> {}

/** How a snapshot travels: a `btrfs send` stream (both sides on BTRFS) or the files themselves. */
export type ReplicaFormat = 'btrfs' | 'files'

/** A snapshot as the receiver keeps it: the sender's record (heads included) and where it came from. */
export interface ReplicaInfo extends SnapshotInfo {
  /** The peer id of the compute peer it was received from. */
  readonly replicatedFrom: string
  /** When it was received and verified, ms since the epoch. */
  readonly receivedAt: number
  /** How it was received: an incremental `btrfs send` can only build on a snapshot received the same way. */
  readonly format: ReplicaFormat
}

/**
 * Who may take part in replication, from the project's current grants (N20): both ends hold the project's
 * `compute` grant, and a receiver does not serve the project itself.
 */
export interface ReplicaAccess {
  /** Whether `peer` holds the project's `compute` grant now (the backup role). */
  isComputePeer(project: string, peer: string): Promise<boolean>
  /** Whether this peer serves the project now (a serving peer takes no replicas of it). */
  serving(project: string): boolean
}

/** What one transfer moved, for logs, tests and the benchmark. */
export interface TransferStats {
  /** The snapshot sent. */
  readonly id: string
  /** The parent it was sent against (the newest snapshot both sides held), if any. */
  readonly parent?: string
  readonly format: ReplicaFormat
  /** Payload bytes sent: the `btrfs send` stream, or the file records and changed files' bytes. */
  readonly bytes: number
  /** Files whose bytes were sent (format `files`; for `btrfs`, undefined). */
  readonly files?: number
  /** True when the receiver held the snapshot already and nothing was sent. */
  readonly already?: boolean
}
