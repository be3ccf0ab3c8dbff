import { createLibp2p, type Libp2pOptions } from 'libp2p'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify, identifyPush } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { kadDHT } from '@libp2p/kad-dht'
import { bootstrap } from '@libp2p/bootstrap'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { multiaddr } from '@multiformats/multiaddr'
import { KEEP_ALIVE } from '@libp2p/interface'
import { quireConnectionGater } from './connection-gater.js'
import { PendingPerHost } from './pending-per-host.js'
import { relayServerInit } from './relay-limits.js'
import { livenessMonitor } from './liveness.js'
import { QUIRE_DHT_PROTOCOL, type QuireConnectionLimits, type QuireNode, type QuireNodeInit, type QuireRole, type QuireServices } from './init.js'
import type { PlatformTransports } from './platform.js'

const ROLES: readonly QuireRole[] = ['browser', 'relay', 'compute', 'peer']
/** libp2p 3's default `inboundUpgradeTimeout` (connection-manager/constants.defaults.js). */
const LIBP2P_INBOUND_UPGRADE_TIMEOUT_MS = 10_000

/** A {@link QuireNodeInit} that cannot make a node (unknown role, bad multiaddr, relay in a browser). */
export class QuireNodeConfigError extends Error {
  readonly code = 'NODE_CONFIG_INVALID'
  constructor(message: string) {
    super(message)
    this.name = 'QuireNodeConfigError'
  }
}

function checkAddresses(field: string, list: string[] | undefined): void {
  for (const a of list ?? []) {
    try { multiaddr(a) } catch {
      throw new QuireNodeConfigError(`${field}: '${a}' is not a multiaddr (expected e.g. /ip4/127.0.0.1/tcp/4001)`)
    }
  }
}

function connectionLimits(limits: QuireConnectionLimits | undefined): QuireConnectionLimits {
  const out: QuireConnectionLimits = {}
  for (const key of ['maxConnections', 'maxIncomingPendingConnections', 'inboundConnectionThreshold', 'maxIncomingPendingConnectionsPerHost', 'inboundUpgradeTimeout'] as const) {
    const value = limits?.[key]
    if (value === undefined) continue
    if (!Number.isSafeInteger(value) || value < 1) throw new QuireNodeConfigError(`connectionManager.${key}: ${String(value)} is not a positive integer`)
    out[key] = value
  }
  return out
}

/** Builds the libp2p node for a role on the given platform; `createQuireNode` binds the platform. */
export async function assembleQuireNode(init: QuireNodeInit, platform: PlatformTransports): Promise<QuireNode> {
  if (!ROLES.includes(init.role)) throw new QuireNodeConfigError(`unknown role '${String(init.role)}'; use one of ${ROLES.join(', ')}`)
  if (init.role === 'relay' && platform.name === 'browser') throw new QuireNodeConfigError('a browser cannot be a relay: run `quire relay` in Node')
  checkAddresses('listen', init.listen)
  checkAddresses('announce', init.announce)
  checkAddresses('bootstrap', init.bootstrap)
  for (const b of init.bootstrap ?? []) {
    if (!multiaddr(b).getComponents().some((c) => c.name === 'p2p')) throw new QuireNodeConfigError(`bootstrap: '${b}' has no /p2p/<peer id>; a bootstrap peer must be authenticated`)
  }

  const isRelay = init.role === 'relay'
  const { maxIncomingPendingConnectionsPerHost: perHost, ...managerLimits } = connectionLimits(init.connectionManager)
  const pending = perHost === undefined ? undefined : new PendingPerHost(perHost, managerLimits.inboundUpgradeTimeout ?? LIBP2P_INBOUND_UPGRADE_TIMEOUT_MS)
  const webrtc = init.webrtc ?? platform.defaultWebRTC
  const services: Record<string, unknown> = {
    identify: identify(),
    // Tells connected peers when our protocols change (a repo or blob service started after the connection
    // was made), so their topologies fire and they open the sync stream; without it they never learn.
    identifyPush: identifyPush(),
    ping: ping(),
    liveness: livenessMonitor(init.liveness),
    dht: kadDHT({
      protocol: QUIRE_DHT_PROTOCOL,
      // The default mapper drops private and loopback addresses, which would leave a LAN or test network
      // with provider records nobody can dial.
      peerInfoMapper: (p) => p,
      clientMode: !isRelay,
    }),
  }
  if (isRelay) services.relay = circuitRelayServer(relayServerInit(init.relayLimits))

  const options: Libp2pOptions<QuireServices> = {
    start: init.start ?? true,
    addresses: {
      listen: init.listen ?? platform.defaultListen(init.role, webrtc),
      ...(init.announce ? { announce: init.announce } : {}),
    },
    transports: platform.transports({ webrtc }),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: quireConnectionGater(init.allowLoopback ?? false, pending),
    // Replaced by the liveness service (L23): libp2p's monitor aborts a connection on one slow ping.
    connectionMonitor: { enabled: false },
    // Redial keep-alive peers (bootstrap relays) 10 times, 1 s apart doubling: about 17 minutes in all.
    connectionManager: {
      reconnectRetries: 10, reconnectRetryInterval: 1_000, reconnectBackoffFactor: 2,
      ...managerLimits,
    },
    peerDiscovery: init.bootstrap && init.bootstrap.length > 0
      // The keep-alive tag makes libp2p redial a bootstrap relay that went away (a restart, a network blip).
      ? [bootstrap({ list: init.bootstrap, timeout: 10, tagName: `${KEEP_ALIVE}-bootstrap` })]
      : [],
    services: services as Libp2pOptions<QuireServices>['services'],
  }
  if (init.privateKey) options.privateKey = init.privateKey
  return createLibp2p<QuireServices>(options)
}
