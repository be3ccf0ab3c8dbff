import type { EmptySyncStats, SyncStats, UnavailableEchoStats } from '@quire/node'
import type { DurableAckStats } from './hosting/durable-ack-adapter.js'
import type { HttpGuardStats } from './http/http-guard.js'
import type { GrantQuotaStats } from './hosting/grant-quotas.js'

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
  /** Sync messages without changes held back (Y26). */
  emptySync: EmptySyncStats
  /** `doc-unavailable` answers to a peer's own `doc-unavailable` not sent (Y29). */
  unavailableEcho: UnavailableEchoStats
  /** Times a peer sending more than its share was not read while the relay was congested (RL53). */
  peerPauses: number
  /** Plain HTTP connections on the WebSocket ports: open, refused over the caps, closed for a late request head (RL58). */
  http: HttpGuardStats
  /** Documents refused by the hosting policy, by refusal code. */
  refusals: Record<string, number>
  /** Grants hosting: usage against the quotas (RL27), totals only. */
  grantQuotas?: GrantQuotaStats
  residentMemoryBytes: number
}
