import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { resolveDaemonOptions, type DaemonOptionsSpec, type OptionValue } from '@quire/node'
import { RelayError, type RelayErrorCode } from '../errors.js'
import { ENV_PREFIX, OPTIONS } from './options.js'
import { DEFAULT_LIMITS, DEFAULT_LISTEN, type RelayConfig } from './relay-config.js'

/** What the command line asked for. */
export interface ResolvedCli {
  help: boolean
  config?: RelayConfig
}

/** The relay's options for the shared parser; bad values become RelayErrors with the relay's codes. */
const SPEC: DaemonOptionsSpec<RelayErrorCode> = {
  command: 'quire-relay',
  envPrefix: ENV_PREFIX,
  options: OPTIONS,
  codes: { flag: 'RELAY_FLAG_INVALID', env: 'RELAY_ENV_INVALID', file: 'RELAY_CONFIG_INVALID' },
  error: (code, message) => new RelayError(code, message),
}

/**
 * Builds the relay's configuration from the command line, the environment and the config file it names
 * (flags > environment > file > defaults). Throws a {@link RelayError} naming the flag, variable, or file
 * and field at fault.
 */
export function resolveRelayConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ResolvedCli {
  const options = resolveDaemonOptions(SPEC, argv, env, cwd)
  if (options.help) return { help: true }
  return { help: false, config: buildConfig(options.get, options.origin, cwd) }
}

function buildConfig(get: <T extends OptionValue>(key: string) => T | undefined, origin: (key: string) => string, cwd: string): RelayConfig {
  const mode = get<'grants' | 'allowlist' | 'open'>('hosting') ?? 'grants'
  const allow = get<string[]>('allow') ?? []
  const allowProject = get<string[]>('allowProject') ?? []
  if (mode === 'open') {
    for (const key of ['allow', 'allowProject'] as const) {
      if ((get<string[]>(key) ?? []).length > 0) {
        throw new RelayError('RELAY_CONFIG_CONFLICT', `${origin(key)} lists documents, but hosting is 'open' (${origin('hosting')}): remove the list, or use hosting 'grants' or 'allowlist'`)
      }
    }
  }
  const limit = (key: keyof typeof DEFAULT_LIMITS): number => get<number>(key) ?? DEFAULT_LIMITS[key]
  const staticRoot = get<string>('staticRoot')
  const webConfigPath = get<string>('webConfig')
  const webConfig = webConfigPath === undefined ? undefined : readWebConfig(webConfigPath, origin('webConfig'))
  return {
    dataDir: get<string>('dataDir') ?? resolve(cwd, 'quire-relay-data'),
    listen: get<string[]>('listen') ?? [...DEFAULT_LISTEN],
    announce: get<string[]>('announce') ?? [],
    bootstrap: get<string[]>('bootstrap') ?? [],
    peers: get<string[]>('peers') ?? [],
    hosting: mode === 'open'
      ? { mode, maxDocumentsPerPeer: get<number>('maxDocsPerPeer') ?? 100, maxBytesPerPeer: get<number>('maxBytesPerPeer') ?? 100 * 1024 * 1024 }
      : { mode, documents: allow, projects: allowProject },
    limits: {
      maxConnections: limit('maxConnections'),
      inboundConnectionThreshold: limit('inboundConnectionThreshold'),
      maxIncomingPendingConnections: limit('maxIncomingPendingConnections'),
      maxIncomingPendingConnectionsPerHost: limit('maxIncomingPendingConnectionsPerHost'),
      inboundUpgradeTimeoutMs: limit('inboundUpgradeTimeoutMs'),
      httpHeadersTimeoutMs: limit('httpHeadersTimeoutMs'),
      httpKeepAliveTimeoutMs: limit('httpKeepAliveTimeoutMs'),
      httpIdleTimeoutMs: limit('httpIdleTimeoutMs'),
      httpMaxConnections: limit('httpMaxConnections'),
      httpMaxConnectionsPerHost: limit('httpMaxConnectionsPerHost'),
      maxLoadedDocuments: limit('maxLoadedDocuments'),
      idleUnloadMs: limit('idleUnloadMs'),
      maxReservations: limit('maxReservations'),
      reservationTtlMs: limit('reservationTtlMs'),
      relayedConnectionDurationMs: limit('relayedConnectionDurationMs'),
      relayedConnectionDataBytes: limit('relayedConnectionDataBytes'),
      maxFrameBytes: limit('maxFrameBytes'),
    },
    ...(staticRoot !== undefined && { staticRoot }),
    ...(webConfig !== undefined && { webConfig }),
    allowLoopback: get<boolean>('allowLoopback') ?? false,
  }
}

/** Reads the `--web-config` file: a JSON object, served in `/quire.json` (its `relay` field is the relay's own). */
function readWebConfig(path: string, origin: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new RelayError('RELAY_CONFIG_INVALID', `${origin}: cannot read ${path} as JSON (${(err as Error).message})`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RelayError('RELAY_CONFIG_INVALID', `${origin}: ${path} must hold a JSON object, e.g. {"autoGrant": []}`)
  }
  if ('relay' in parsed) throw new RelayError('RELAY_CONFIG_INVALID', `${origin}: ${path} must not set "relay": /quire.json fills it with this relay's own peer id and addresses`)
  return parsed as Record<string, unknown>
}
