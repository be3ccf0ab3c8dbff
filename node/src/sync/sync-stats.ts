import type { SyncErrorCode } from './errors.js'

/** Counters for one sync adapter; relays export them as metrics. */
export interface SyncStats {
  framesReceived: number
  framesSent: number
  bytesReceived: number
  bytesSent: number
  /** Times a stream's send buffer filled and we waited for `drain` before writing more. */
  drainWaits: number
  /** Outgoing messages dropped because their frame would exceed the maximum frame size. */
  oversizedDropped: number
  /** Streams reset because of bad input or a stuck reader, by error code. */
  rejected: Partial<Record<SyncErrorCode, number>>
}

/** A rejected frame or stream, as handed to the adapter's `log` option. */
export interface SyncLogEntry {
  code: SyncErrorCode
  /** The remote peer id of the stream. */
  peer: string
  message: string
}

export function emptySyncStats(): SyncStats {
  return { framesReceived: 0, framesSent: 0, bytesReceived: 0, bytesSent: 0, drainWaits: 0, oversizedDropped: 0, rejected: {} }
}

export function defaultSyncLog(entry: SyncLogEntry): void {
  console.error(`[quire-sync] ${entry.code} from ${entry.peer}: ${entry.message}`)
}
