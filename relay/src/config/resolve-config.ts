import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { isEd25519PeerId, resolveDaemonOptions, type DaemonOptionsSpec, type OptionValue } from '@quire/node'
import { RelayError, type RelayErrorCode } from '../errors.js'
import { ENV_PREFIX, OPTIONS } from './options.js'
import { DEFAULT_LIMITS, DEFAULT_LISTEN, type RelayConfig } from './relay-config.js'
import type { GrantQuotaConfig } from '../hosting/grant-quotas.js'

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
  if (mode !== 'grants') {
    for (const key of ['allowOwner', 'allowOwnersFile'] as const) {
      if (get<OptionValue>(key) !== undefined) {
        throw new RelayError('RELAY_CONFIG_CONFLICT', `${origin(key)} lists owners, but hosting is '${mode}' (${origin('hosting')}): owners matter only to hosting 'grants'`)
      }
    }
  }
  if (mode === 'open') {
    for (const key of ['allow', 'allowProject'] as const) {
      if ((get<string[]>(key) ?? []).length > 0) {
        throw new RelayError('RELAY_CONFIG_CONFLICT', `${origin(key)} lists documents, but hosting is 'open' (${origin('hosting')}): remove the list, or use hosting 'grants' or 'allowlist'`)
      }
    }
  }
  const quotas = mode === 'grants' ? grantQuotas(get, origin) : undefined
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
      : { mode, documents: allow, projects: allowProject, ...(quotas !== undefined && { quotas }) },
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

/** The grants quotas that were set (the rest take `DEFAULT_GRANT_QUOTAS` in `startRelay`) and the owner allowlist. */
function grantQuotas(get: <T extends OptionValue>(key: string) => T | undefined, origin: (key: string) => string): Partial<GrantQuotaConfig> | undefined {
  const quotas: Partial<GrantQuotaConfig> = {}
  const set = (field: Exclude<keyof GrantQuotaConfig, 'owners'>, key: string): void => {
    const value = get<number>(key)
    if (value !== undefined) quotas[field] = value
  }
  set('maxDocumentsPerProject', 'maxDocsPerProject')
  set('maxBytesPerProject', 'maxBytesPerProject')
  set('maxDocumentsPerOwner', 'maxDocsPerOwner')
  set('maxBytesPerOwner', 'maxBytesPerOwner')
  set('maxBytesUnlisted', 'maxBytesUnlisted')
  const owners = [...(get<string[]>('allowOwner') ?? [])]
  for (const owner of owners) {
    if (!isEd25519PeerId(owner)) throw new RelayError('RELAY_CONFIG_INVALID', `${origin('allowOwner')}: ${JSON.stringify(String(owner).slice(0, 80))} is not an Ed25519 peer id (12D3KooW...)`)
  }
  const file = get<string>('allowOwnersFile')
  if (file !== undefined) owners.push(...readOwnersFile(file, origin('allowOwnersFile')))
  if (owners.length > 0) quotas.owners = [...new Set(owners)]
  return Object.keys(quotas).length > 0 ? quotas : undefined
}

/** Reads an owners file: one peer id a line; blank lines and `#` comments skipped. */
function readOwnersFile(path: string, origin: string): string[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new RelayError('RELAY_CONFIG_INVALID', `${origin}: cannot read ${path} (${(err as Error).message})`)
  }
  const owners: string[] = []
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim()
    if (line === '') continue
    if (!isEd25519PeerId(line)) throw new RelayError('RELAY_CONFIG_INVALID', `${origin}: line ${i + 1} of ${path} is not an Ed25519 peer id (12D3KooW...)`)
    owners.push(line)
  }
  return owners
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
