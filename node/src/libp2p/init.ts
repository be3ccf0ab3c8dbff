import type { LivenessInit, LivenessMonitor } from './liveness.js'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Identify, IdentifyPush } from '@libp2p/identify'
import type { Ping } from '@libp2p/ping'
import type { KadDHT } from '@libp2p/kad-dht'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { RelayLimits } from './relay-limits.js'

/** Which part a node plays: relays serve the DHT and relay circuits; the others are DHT clients. */
export type QuireRole = 'browser' | 'relay' | 'compute' | 'peer'

/** The DHT protocol of Quire's private network: distinct from the public IPFS DHT so the two never mix. */
export const QUIRE_DHT_PROTOCOL = '/quire/kad/1.0.0'

/** Everything {@link createQuireNode} needs; all addresses are multiaddr strings passed in as data. */
export interface QuireNodeInit {
  role: QuireRole
  /** The node's identity (see `loadOrCreateIdentity`); a fresh throwaway key if omitted. */
  privateKey?: PrivateKey
  /** Addresses to listen on; defaults depend on role and platform. */
  listen?: string[]
  /** Addresses to announce instead of the listen addresses (e.g. a relay's public DNS name). */
  announce?: string[]
  /** Peers to dial on start (relays), as multiaddrs ending in `/p2p/<peer id>`. */
  bootstrap?: string[]
  /** How dead connections are found (L23); defaults suit every role. */
  liveness?: LivenessInit
  /** Development and tests: allow dialing loopback addresses. Off by default. */
  allowLoopback?: boolean
  /** Enable the WebRTC transport; default on in browsers, off in Node (it loads node-datachannel). */
  webrtc?: boolean
  /** Role `relay` only: circuit relay limits; see `DEFAULT_RELAY_LIMITS`. */
  relayLimits?: RelayLimits
  /** Connection limits (libp2p's connection manager); unset fields keep libp2p's defaults. */
  connectionManager?: QuireConnectionLimits
  /** Start the node before returning (default true). */
  start?: boolean
}

/** Limits on connections, enforced by libp2p before a connection is upgraded (no noise, no muxer spent). */
export interface QuireConnectionLimits {
  /** Open connections at most; inbound ones beyond it are refused (libp2p default 300). */
  maxConnections?: number
  /** Inbound connections still being upgraded (encryption, muxer) at once (libp2p default 10). */
  maxIncomingPendingConnections?: number
  /** Inbound connections one host may open per second; more are refused (libp2p default 5). */
  inboundConnectionThreshold?: number
  /**
   * Inbound connections from one host (an IPv4 address or an IPv6 /64) being upgraded at once; more are
   * refused (L21). Unset: no per-host cap, only the global `maxIncomingPendingConnections`.
   */
  maxIncomingPendingConnectionsPerHost?: number
  /** An inbound connection must finish its upgrade (noise, muxer) within this many ms (libp2p default 10,000). */
  inboundUpgradeTimeout?: number
}

/** The services every Quire node runs; `relay` only on role `relay`. */
export interface QuireServices extends Record<string, unknown> {
  identify: Identify
  identifyPush: IdentifyPush
  ping: Ping
  dht: KadDHT
  relay?: CircuitRelayService
  liveness: LivenessMonitor
}

/** A running Quire libp2p node. */
export type QuireNode = Libp2p<QuireServices>
