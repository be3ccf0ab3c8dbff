// What the Node and browser entries of the libp2p module have in common.
export { QUIRE_DHT_PROTOCOL, type QuireConnectionLimits, type QuireNode, type QuireNodeInit, type QuireRole, type QuireServices } from './init.js'
export { QuireNodeConfigError } from './assemble.js'
export { DEFAULT_RELAY_LIMITS, relayServerInit, type RelayLimits } from './relay-limits.js'
export { connectionKind, type ConnectionKind } from './connection-kind.js'
export { quireConnectionGater } from './connection-gater.js'
export { PendingPerHost, hostKey, hostOfIp } from './pending-per-host.js'
export { LivenessMonitor, PING_PROTOCOL, livenessMonitor, type LivenessInit, type LivenessStats } from './liveness.js'
