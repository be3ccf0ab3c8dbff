/**
 * The relay's configuration as `startRelay` takes it. The CLI builds one from flags, environment variables,
 * a JSON file and defaults (`resolveRelayConfig`); programs and tests may build one directly.
 */
import type { GrantQuotaConfig } from '../hosting/grant-quotas.js'

/** Which documents the relay hosts. */
export type HostingPolicyConfig =
  | {
    /**
     * `grants` (the default): projects whose grants give this relay the `relay` role, to their members
     * (an admin asks over `/quire/host/1.0.0`), plus the lists below as the operator's override.
     * `allowlist`: the lists below only.
     */
    mode: 'grants' | 'allowlist'
    /** Document ids (or `automerge:` URLs) the relay hosts for anyone who asks (operator override). */
    documents: string[]
    /**
     * Project document ids (or URLs): the project document and every document it links (files, grants, chat)
     * are hosted for anyone who asks (operator override).
     */
    projects: string[]
    /** Grants hosting: quotas and the owner allowlist (RL24 to RL27); unset fields take their defaults. */
    quotas?: Partial<GrantQuotaConfig>
  }
  | {
    mode: 'open'
    /** Documents one peer may bring to the relay (documents it is the first to send). */
    maxDocumentsPerPeer: number
    /** Bytes of changes one peer may store on the relay, over all documents. */
    maxBytesPerPeer: number
  }

/** Resource limits; every one is chosen on purpose (see `DEFAULT_LIMITS` for why each default). */
export interface RelayLimitsConfig {
  /** Open connections (inbound and outbound) at most; newer inbound ones beyond it are closed. */
  maxConnections: number
  /** New inbound connections one host (IP address) may open per second; more are refused before upgrading. */
  inboundConnectionThreshold: number
  /** Inbound connections being upgraded (noise, muxer) at once; more are refused until one finishes. */
  maxIncomingPendingConnections: number
  /** Inbound connections from one host (IPv4 address or IPv6 /64) being upgraded at once; more are refused. */
  maxIncomingPendingConnectionsPerHost: number
  /** An inbound libp2p connection must finish its upgrade within this (ms), or it is closed. */
  inboundUpgradeTimeoutMs: number
  /** HTTP/WebSocket port: a complete request head (or WebSocket upgrade) must arrive within this (ms). */
  httpHeadersTimeoutMs: number
  /** HTTP/WebSocket port: an idle keep-alive connection is closed after this (ms). */
  httpKeepAliveTimeoutMs: number
  /** HTTP/WebSocket port: an HTTP connection without traffic for this long is closed (ms); WebSockets are not. */
  httpIdleTimeoutMs: number
  /** HTTP/WebSocket port: plain HTTP connections (not yet a WebSocket) open at once. */
  httpMaxConnections: number
  /** HTTP/WebSocket port: plain HTTP connections (not yet a WebSocket) from one host open at once. */
  httpMaxConnectionsPerHost: number
  /** Documents kept in memory at most; the least recently used idle ones are unloaded beyond it. */
  maxLoadedDocuments: number
  /** A document no peer has synced for this long is unloaded (ms). */
  idleUnloadMs: number
  /** Circuit relay v2: peers holding a reservation at once (each peer holds at most one). */
  maxReservations: number
  /** Circuit relay v2: how long a reservation lasts before renewal (ms). */
  reservationTtlMs: number
  /** Circuit relay v2: how long one relayed connection may stay open (ms). */
  relayedConnectionDurationMs: number
  /** Circuit relay v2: bytes one relayed connection may carry. */
  relayedConnectionDataBytes: number
  /** Largest sync frame accepted or sent (bytes). */
  maxFrameBytes: number
}

/** Everything `startRelay` needs. */
export interface RelayConfig {
  /** Identity key, document database and hosting index live here; created (mode 0700) if missing. */
  dataDir: string
  /** libp2p listen multiaddrs: TCP and WebSocket; every `/ws` address also answers HTTP. */
  listen: string[]
  /** Addresses to announce instead of the listen addresses (public DNS names behind NAT). */
  announce: string[]
  /** Peers to dial on start (other relays), multiaddrs ending in `/p2p/<peer id>`. */
  bootstrap: string[]
  /**
   * Federation: relays (multiaddrs ending in `/p2p/<peer id>`) this relay keeps connected to and
   * replicates the documents both host with, in both directions.
   */
  peers: string[]
  hosting: HostingPolicyConfig
  limits: RelayLimitsConfig
  /** A directory of static files (the built web app) served over HTTP; skipped when missing. */
  staticRoot?: string
  /** Development and tests only: allow dialing loopback addresses. */
  allowLoopback: boolean
  /**
   * A JSON object merged into `GET /quire.json` next to `relay` (e.g. `autoGrant` for the web app of a local
   * network), read from the `--web-config` file at start.
   */
  webConfig?: Record<string, unknown>
}

/** Defaults, each for a reason. */
export const DEFAULT_LIMITS: RelayLimitsConfig = {
  // A small institution's relay: a few hundred browsers plus relays and compute peers.
  maxConnections: 1024,
  // libp2p's default (5 a second per host) is for a peer that sees a few peers per address. A relay sees a
  // whole institution behind one NAT address reconnect at once after a restart or a network blip: at 5 a
  // second, 200 browsers take 40 s of refusals and retries. 100 a second lets `maxConnections` peers from
  // one address back in about 10 s, while one host still cannot open connections without bound.
  inboundConnectionThreshold: 100,
  // Each pending connection is a noise handshake in progress (its buffers and key exchange). libp2p's
  // default of 10 refuses most of a burst of reconnections; 64 lets one through while bounding the
  // handshakes in flight, and connections past it are refused before any handshake starts. Much higher is
  // worse on a loaded machine: with 256, a 200-peer burst started every handshake at once and too few
  // finished before their timeouts (bench/RESULTS.md, relay section).
  maxIncomingPendingConnections: 64,
  // A connection that never sends a byte holds a pending slot until the upgrade times out, so the global
  // cap alone let 70 silent sockets from one address lock every new peer out. Half the global cap per host
  // leaves the other half to everyone else while one address stalls, and still lets a NAT's burst of 30
  // peers in on their first dial (RL54). A host is an IPv4 address or an IPv6 /64.
  maxIncomingPendingConnectionsPerHost: 32,
  // libp2p's default is 10 s. A handshake is about four round trips (multistream, noise, multistream,
  // yamux): well under a second even on a bad mobile link, with room for a loaded relay. A silent socket
  // then holds its slot 5 s instead of 10.
  inboundUpgradeTimeoutMs: 5_000,
  // The HTTP/WebSocket port. libp2p feeds its HTTP server sockets without the server ever listening, and
  // Node enforces its own headersTimeout and requestTimeout only on a listening server, so the relay
  // applies these itself (http-guard.ts). A browser sends its request head in one packet: 10 s is generous.
  httpHeadersTimeoutMs: 10_000,
  // Node's default for keep-alive connections.
  httpKeepAliveTimeoutMs: 5_000,
  // A response that stalls this long (a reader that stopped reading) is abandoned.
  httpIdleTimeoutMs: 30_000,
  // Plain HTTP connections are short-lived (the web app's files, /healthz); a browser opens about six.
  // These bound the sockets a stranger can park on the port; WebSockets (libp2p peers) are not counted.
  httpMaxConnections: 1024,
  httpMaxConnectionsPerHost: 64,
  // Automerge documents cost roughly 10 to 100 KB each in memory; 1,000 bounds a busy relay to ~100 MB.
  maxLoadedDocuments: 1000,
  // Long enough that a peer reconnecting after a blip does not reload the document.
  idleUnloadMs: 60_000,
  maxReservations: 512,
  reservationTtlMs: 2 * 60 * 60 * 1000,
  // Enough for WebRTC signaling (KiB, seconds) and for whole syncs between peers that cannot reach each
  // other directly.
  relayedConnectionDurationMs: 60 * 60 * 1000,
  relayedConnectionDataBytes: 1024 * 1024 * 1024,
  maxFrameBytes: 16 * 1024 * 1024,
}

/** The standard ports of a relay: 4001 TCP, 4002 WebSocket (and HTTP). */
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/4001', '/ip4/0.0.0.0/tcp/4002/ws']
