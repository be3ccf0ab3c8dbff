/**
 * The one table of relay options: it drives the flag parser, the environment variables, the config file's
 * fields and `--help` (through @quire/node's daemon options), so the four never disagree.
 */
import { optionNames, type OptionSpec } from '@quire/node'

export type { OptionKind, OptionSpec } from '@quire/node'

/** Relay variables are QUIRE_RELAY_<SNAKE>; QUIRE_RELAY_CONFIG names the config file. */
export const ENV_PREFIX = 'QUIRE_RELAY_'

export const OPTIONS: readonly OptionSpec[] = [
  { key: 'dataDir', kind: 'path', help: 'Directory for the identity key and the document database (created, mode 0700).', shownDefault: './quire-relay-data' },
  { key: 'listen', placeholder: '<multiaddr>', kind: 'list', help: 'libp2p listen multiaddr, TCP or WebSocket (repeat or comma-separate). Every /ws address also answers HTTP: /healthz, /metrics, the web app.', shownDefault: '/ip4/0.0.0.0/tcp/4001,/ip4/0.0.0.0/tcp/4002/ws' },
  { key: 'announce', placeholder: '<multiaddr>', kind: 'list', help: 'Multiaddr to announce instead of the listen addresses, e.g. /dns4/relay.example.org/tcp/443/wss.', shownDefault: 'none' },
  { key: 'bootstrap', placeholder: '<multiaddr>', kind: 'list', help: 'Peer to dial on start, a multiaddr ending in /p2p/<peer id>.', shownDefault: 'none' },
  { key: 'peers', flag: '--peer', placeholder: '<multiaddr>', kind: 'list', help: 'Federated relay, a multiaddr ending in /p2p/<peer id>: kept connected, and every document both relays host is replicated between them.', shownDefault: 'none' },
  { key: 'hosting', kind: 'choice', choices: ['grants', 'allowlist', 'open'], help: "Hosting policy: 'grants' (projects whose grants give this relay the relay role, for their members; an admin asks with `quire project create --relay`, `quire project grant --role relay` or the web app; plus --allow and --allow-project as an operator override), 'allowlist' (only the --allow and --allow-project documents) or 'open' (any document, with per-peer quotas, for public relays).", shownDefault: 'grants' },
  { key: 'allow', placeholder: '<document id|url>', kind: 'list', help: 'Operator override (grants and allowlist hosting): a document id or automerge: URL to host for anyone who asks, granted or not.', shownDefault: 'none' },
  { key: 'allowProject', placeholder: '<project id|url>', kind: 'list', help: 'Operator override (grants and allowlist hosting): a project document id or URL; the project and every document it links are hosted for anyone who asks, granted or not. Members\' peers accept changes through this relay only if the project grants it the relay role.', shownDefault: 'none' },
  { key: 'maxDocsPerProject', kind: 'int', min: 0, help: 'Grants hosting: documents one project may have hosted; past it new documents are refused (RELAY_QUOTA_PROJECT).', shownDefault: '10000' },
  { key: 'maxBytesPerProject', kind: 'int', min: 0, help: 'Grants hosting: bytes of changes one project may store; past it changes are refused (RELAY_QUOTA_PROJECT).', shownDefault: '1073741824 (1 GiB)' },
  { key: 'maxDocsPerOwner', kind: 'int', min: 0, help: 'Grants hosting: documents all projects of one owner may have hosted (RELAY_QUOTA_OWNER).', shownDefault: '20000' },
  { key: 'maxBytesPerOwner', kind: 'int', min: 0, help: 'Grants hosting: bytes of changes all projects of one owner may store (RELAY_QUOTA_OWNER).', shownDefault: '2147483648 (2 GiB)' },
  { key: 'maxBytesUnlisted', kind: 'int', min: 0, help: 'Grants hosting: bytes of changes all owners not listed by --allow-owner may store together; while no owner is listed, everything hosted by grants (RELAY_QUOTA_UNLISTED).', shownDefault: '10737418240 (10 GiB)' },
  { key: 'allowOwner', placeholder: '<peer id>', kind: 'list', help: 'Grants hosting: host only projects owned by these peer ids (repeat or comma-separate); others are refused (RELAY_OWNER_NOT_ALLOWED). Set it when strangers fill the relay.', shownDefault: 'none (any owner)' },
  { key: 'allowOwnersFile', kind: 'path', placeholder: '<file>', help: 'Grants hosting: a file of owner peer ids, one a line (# starts a comment), added to --allow-owner. Read at start.', shownDefault: 'none' },
  { key: 'maxDocsPerPeer', kind: 'int', min: 0, help: 'Open hosting: documents one peer may bring.', shownDefault: '100' },
  { key: 'maxBytesPerPeer', kind: 'int', min: 0, help: 'Open hosting: bytes of changes one peer may store.', shownDefault: '104857600 (100 MiB)' },
  { key: 'maxConnections', kind: 'int', min: 1, help: 'Open connections at most; newer inbound ones beyond it are closed.', shownDefault: '1024' },
  { key: 'inboundConnectionThreshold', kind: 'int', min: 1, help: 'New inbound connections one host (IP address) may open per second; more are refused before any handshake. Peers behind one NAT share it.', shownDefault: '100' },
  { key: 'maxIncomingPendingConnections', kind: 'int', min: 1, help: 'Inbound connections being upgraded (encryption, muxer) at once; more are refused until one finishes.', shownDefault: '64' },
  { key: 'maxIncomingPendingConnectionsPerHost', kind: 'int', min: 1, help: 'Inbound connections from one host (IPv4 address or IPv6 /64) being upgraded at once; more are refused, so one address cannot take every upgrade slot.', shownDefault: '32' },
  { key: 'inboundUpgradeTimeoutMs', kind: 'int', min: 500, help: 'An inbound libp2p connection (TCP or WebSocket) must finish its handshake (noise, muxer) within this many ms, or it is closed.', shownDefault: '5000' },
  { key: 'httpHeadersTimeoutMs', kind: 'int', min: 100, help: 'HTTP/WebSocket port: a connection must send a complete request head (or WebSocket upgrade) within this many ms of connecting or of its previous response, or it is closed.', shownDefault: '10000' },
  { key: 'httpKeepAliveTimeoutMs', kind: 'int', min: 100, help: 'HTTP/WebSocket port: an idle keep-alive connection between requests is closed after this many ms.', shownDefault: '5000' },
  { key: 'httpIdleTimeoutMs', kind: 'int', min: 100, help: 'HTTP/WebSocket port: an HTTP connection with no traffic for this many ms (a stalled request or response) is closed; WebSocket connections are not affected.', shownDefault: '30000' },
  { key: 'httpMaxConnections', kind: 'int', min: 1, help: 'HTTP/WebSocket port: plain HTTP connections (not yet a WebSocket) open at once; newer ones are closed at once.', shownDefault: '1024' },
  { key: 'httpMaxConnectionsPerHost', kind: 'int', min: 1, help: 'HTTP/WebSocket port: plain HTTP connections (not yet a WebSocket) from one host open at once; newer ones are closed at once.', shownDefault: '64' },
  { key: 'maxLoadedDocuments', kind: 'int', min: 1, help: 'Documents kept in memory at most; least recently used idle ones are unloaded.', shownDefault: '1000' },
  { key: 'idleUnloadMs', kind: 'int', min: 0, help: 'Unload a document no peer has synced for this many ms.', shownDefault: '60000' },
  { key: 'maxReservations', kind: 'int', min: 0, help: 'Circuit relay: peers holding a reservation at once (one per peer).', shownDefault: '512' },
  { key: 'reservationTtlMs', kind: 'int', min: 1000, help: 'Circuit relay: reservation lifetime before renewal, ms.', shownDefault: '7200000 (2 h)' },
  { key: 'relayedConnectionDurationMs', kind: 'int', min: 1000, help: 'Circuit relay: longest relayed connection, ms.', shownDefault: '3600000 (1 h)' },
  { key: 'relayedConnectionDataBytes', kind: 'int', min: 1024, help: 'Circuit relay: bytes one relayed connection may carry.', shownDefault: '1073741824 (1 GiB)' },
  { key: 'maxFrameBytes', kind: 'int', min: 1024, help: 'Largest sync frame accepted or sent, bytes.', shownDefault: '16777216 (16 MiB)' },
  { key: 'webConfig', kind: 'path', placeholder: '<file.json>', help: 'A JSON object served in GET /quire.json next to the relay\'s own peer id and addresses (e.g. {"autoGrant": [{"peerId": "...", "role": "compute"}]} for a local network\'s web app). Read once at start.', shownDefault: 'none' },
  { key: 'staticRoot', kind: 'path', help: 'Directory of the built web app, served over HTTP when it exists.', shownDefault: 'none' },
  { key: 'allowLoopback', kind: 'bool', help: 'Development and tests only: allow dialing loopback addresses.', shownDefault: 'false' },
]

/** `dataDir` -> `--data-dir` (or the option's own `flag`) and `QUIRE_RELAY_DATA_DIR`. */
export const { flagName, envName } = optionNames(ENV_PREFIX, OPTIONS)
