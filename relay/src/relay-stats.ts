import type { SyncStats } from '@quire/node'
import type { DurableAckStats } from './hosting/durable-ack-adapter.js'

/** A snapshot of a running relay's state, served by /healthz and /metrics. */
export interface RelayStats {
  peerId: string
  uptimeSeconds: number
  connectedPeers: number
  connections: number
  /** Peers with an established `/quire/sync/1.0.0` stream. */
  syncPeers: number
  reservations: number
  documentsHosted: number
  documentsLoaded: number
  documentsUnloaded: number
  sync: SyncStats
  acks: DurableAckStats
  /** Documents refused by the hosting policy, by refusal code. */
  refusals: Record<string, number>
  residentMemoryBytes: number
}
