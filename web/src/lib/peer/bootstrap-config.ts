/**
 * Where this browser finds the network: the relay that served the app answers `/quire.json`; a
 * `?relay=<multiaddr>` query parameter (development, tests, or a relay that is not the origin) adds to it.
 */
import { isRole, type Role } from '@quire/node'

/** A peer the app grants a role in every project it creates (the local relay, a compute peer). */
export interface AutoGrant {
  readonly peerId: string
  readonly role: Role
}

/** What the app learns before it starts its peer. */
export interface BootstrapConfig {
  /** Relay multiaddrs ending in `/p2p/<peer id>`, dialable from a browser (ws or wss). */
  readonly relays: readonly string[]
  readonly autoGrant: readonly AutoGrant[]
  /** Where the addresses came from, for the connection panel. */
  readonly source: 'quire.json' | 'query' | 'both' | 'none'
  /** What the local network lacks (from `quire up`: system packages its compute peer misses), to show as is. */
  readonly missing?: readonly MissingFeature[]
  /** The one command that installs every missing package. */
  readonly installCommand?: string
}

/** A feature the local network's compute peer cannot offer yet, and the system packages it needs. */
export interface MissingFeature {
  readonly feature: string
  readonly gives: string
  readonly packages: readonly string[]
}

/** Reads a `/quire.json` body; junk yields nothing rather than an error (the app still works offline). */
export function parseQuireJson(value: unknown): { relays: string[]; autoGrant: AutoGrant[]; missing: MissingFeature[]; installCommand?: string } {
  const relays: string[] = []
  const autoGrant: AutoGrant[] = []
  const missing: MissingFeature[] = []
  if (typeof value !== 'object' || value === null) return { relays, autoGrant, missing }
  const v = value as Record<string, unknown>
  const relay = v['relay'] as Record<string, unknown> | undefined
  if (relay && typeof relay === 'object') {
    const peerId = typeof relay['peerId'] === 'string' ? relay['peerId'] : undefined
    for (const addr of Array.isArray(relay['addrs']) ? relay['addrs'] : []) {
      if (typeof addr !== 'string' || !addr.startsWith('/')) continue
      relays.push(addr.includes('/p2p/') || peerId === undefined ? addr : `${addr}/p2p/${peerId}`)
    }
  }
  for (const g of Array.isArray(v['autoGrant']) ? v['autoGrant'] : []) {
    const entry = g as Record<string, unknown>
    if (typeof entry?.['peerId'] === 'string' && isRole(entry['role'])) autoGrant.push({ peerId: entry['peerId'], role: entry['role'] })
  }
  for (const m of Array.isArray(v['missing']) ? v['missing'] : []) {
    const entry = m as Record<string, unknown>
    if (typeof entry?.['feature'] !== 'string' || typeof entry['gives'] !== 'string') continue
    const packages = Array.isArray(entry['packages']) ? entry['packages'].filter((p): p is string => typeof p === 'string') : []
    missing.push({ feature: entry['feature'].slice(0, 200), gives: entry['gives'].slice(0, 500), packages })
  }
  const installCommand = typeof v['installCommand'] === 'string' && v['installCommand'] !== '' ? v['installCommand'].slice(0, 2000) : undefined
  return { relays, autoGrant, missing, ...(installCommand !== undefined && { installCommand }) }
}

/** Only addresses a browser can dial: WebSockets with a peer id. */
export function browserDialable(addr: string): boolean {
  return /\/(ws|wss|tls\/ws)(\/|$)/.test(addr) && addr.includes('/p2p/')
}

/**
 * Loads the bootstrap configuration for the page at `location`. Never throws: with no relay known the app
 * starts offline and says so.
 */
export async function loadBootstrapConfig(location: { href: string }, fetchFn: typeof fetch = fetch): Promise<BootstrapConfig> {
  const url = new URL(location.href)
  const fromQuery = url.searchParams.getAll('relay').filter((a) => a.startsWith('/'))
  let fromFile: ReturnType<typeof parseQuireJson> = { relays: [], autoGrant: [], missing: [] }
  try {
    const res = await fetchFn(new URL('quire.json', url.origin + url.pathname).toString(), { cache: 'no-store', signal: AbortSignal.timeout(3_000) })
    if (res.ok) fromFile = parseQuireJson(await res.json())
  } catch {
    // No relay serves us (vite dev, or offline): the query parameter is all we have.
  }
  const relays = [...new Set([...fromFile.relays, ...fromQuery])].filter(browserDialable)
  const source = fromFile.relays.length > 0 ? (fromQuery.length > 0 ? 'both' : 'quire.json') : fromQuery.length > 0 ? 'query' : 'none'
  return {
    relays, autoGrant: fromFile.autoGrant, source,
    ...(fromFile.missing.length > 0 && { missing: fromFile.missing }),
    ...(fromFile.installCommand !== undefined && { installCommand: fromFile.installCommand }),
  }
}
