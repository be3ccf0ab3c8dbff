import type { CircuitRelayServerInit } from '@libp2p/circuit-relay-v2'

/**
 * Limits a relay applies to circuit relay v2 reservations and the relayed connections through them.
 * A relayed connection that reaches a limit is closed by the relay; peers redial (a new connection gets
 * fresh limits).
 */
export interface RelayLimits {
  /** How many peers may hold a reservation (listen through this relay) at once. */
  maxReservations?: number
  /** How long a reservation lasts before the peer must renew it (ms). */
  reservationTtlMs?: number
  /** How long one relayed connection may stay open (ms). */
  connectionDurationMs?: number
  /** How many bytes one relayed connection may carry, both directions together. */
  connectionDataBytes?: number
}

/**
 * Quire's defaults. libp2p's own (128 KiB or 2 minutes per connection, 15 reservations) cut a relayed sync
 * mid-document. Relayed connections carry WebRTC signaling (a few KiB) and, for peers that cannot reach each
 * other any other way, whole syncs: 1 GiB or 1 hour per connection bounds one peer's use of the relay while
 * letting a large project sync through it; 512 reservations fit a small institution's relay.
 */
export const DEFAULT_RELAY_LIMITS: Required<RelayLimits> = {
  maxReservations: 512,
  reservationTtlMs: 2 * 60 * 60 * 1000,
  connectionDurationMs: 60 * 60 * 1000,
  connectionDataBytes: 1024 * 1024 * 1024,
}

/** Translates {@link RelayLimits} (defaults filled in) into the circuit relay server's init. */
export function relayServerInit(limits: RelayLimits = {}): CircuitRelayServerInit {
  const l = { ...DEFAULT_RELAY_LIMITS, ...definedOnly(limits) }
  return {
    reservations: {
      maxReservations: l.maxReservations,
      reservationTtl: l.reservationTtlMs,
      applyDefaultLimit: true,
      defaultDurationLimit: l.connectionDurationMs,
      defaultDataLimit: BigInt(l.connectionDataBytes),
    },
  }
}

function definedOnly(limits: RelayLimits): RelayLimits {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as RelayLimits
}
