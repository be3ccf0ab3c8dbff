/**
 * @quire/relay: the relay daemon. `startRelay(config)` runs one in-process; the `quire-relay` CLI builds the
 * config from flags, environment variables and a JSON file (`resolveRelayConfig`).
 */
export { startRelay, type RelayHandle, type StartRelayOptions } from './start-relay.js'
export type { RelayStats } from './relay-stats.js'
export { DEFAULT_LIMITS, DEFAULT_LISTEN, type RelayConfig, type RelayLimitsConfig, type HostingPolicyConfig } from './config/relay-config.js'
export { resolveRelayConfig, type ResolvedCli } from './config/resolve-config.js'
export { helpText } from './config/help.js'
export { OPTIONS, flagName, envName, type OptionSpec, type OptionKind } from './config/options.js'
export { RelayError, type RelayErrorCode, type RefusalCode } from './errors.js'
export { DurableAckAdapter, type DurableAckAdapterInit, type DurableAckStats } from './hosting/durable-ack-adapter.js'
export { FloodGuard, type FloodGuardInit, type PeerFlowControl } from './hosting/flood-guard.js'
export { projectLinks } from './hosting/project-links.js'
export { DEFAULT_GRANT_QUOTAS, type GrantQuotaConfig, type GrantQuotaStats, type QuotaRefusalCode } from './hosting/grant-quotas.js'
export { prometheusText } from './http/metrics.js'
export { mimeType } from './http/static-files.js'
