import { fileURLToPath } from 'node:url'
import { QuireCliError } from '../errors.js'
import { fieldLocation, readJsonFile, valueLocation } from './json-file.js'

/** One public relay of the default bootstrap list. */
export interface BootstrapRelay {
  name: string
  /** Who runs it and how to reach them. */
  operator: string
  /** Multiaddrs ending in `/p2p/<peer id>`. */
  addresses: string[]
}

/** `bootstrap/data/bootstrap.json` (format in bootstrap/data/README.md). */
export interface BootstrapList {
  version: 1
  relays: BootstrapRelay[]
}

/** The default list shipped in this package. */
export const DEFAULT_BOOTSTRAP_LIST_PATH = fileURLToPath(new URL('../../data/bootstrap.json', import.meta.url))

const PEER_ADDRESS = /^\/(ip4|ip6|dns4|dns6|dns)\/[^/]+\/tcp\/\d+(\/(ws|wss|tls\/ws))?\/p2p\/[1-9A-HJ-NP-Za-km-z]{46,}$/

/** Reads and checks a bootstrap list; a bad entry is named with its file and line. */
export function loadBootstrapList(path: string = DEFAULT_BOOTSTRAP_LIST_PATH): BootstrapList {
  const file = readJsonFile(path, 'bootstrap list')
  const failAt = (where: string, why: string): never => {
    throw new QuireCliError('QUIRE_CONFIG_INVALID', `bootstrap list ${where}: ${why}; see bootstrap/data/README.md for the format`)
  }
  const fail = (key: string, why: string): never => failAt(fieldLocation(file, key), why)
  const v = file.value as { version?: unknown; relays?: unknown }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail('version', 'expected a JSON object with version and relays')
  if (v.version !== 1) fail('version', `version must be 1, got ${JSON.stringify(v.version)}`)
  if (!Array.isArray(v.relays)) fail('relays', 'relays must be a list')
  const relays: BootstrapRelay[] = []
  for (const [i, raw] of (v.relays as unknown[]).entries()) {
    const r = raw as Partial<BootstrapRelay>
    if (typeof r !== 'object' || r === null) fail('relays', `relay ${i + 1} must be an object`)
    if (typeof r.name !== 'string' || r.name === '') fail('relays', `relay ${i + 1} needs a name`)
    const here = valueLocation(file, r.name!)
    if (typeof r.operator !== 'string' || r.operator === '') failAt(here, `relay ${JSON.stringify(r.name)} needs an operator (who runs it and how to reach them)`)
    if (!Array.isArray(r.addresses) || r.addresses.length === 0) failAt(here, `relay ${JSON.stringify(r.name)} needs at least one address`)
    for (const a of r.addresses as unknown[]) {
      if (typeof a !== 'string' || !PEER_ADDRESS.test(a)) {
        failAt(typeof a === 'string' ? valueLocation(file, a) : here, `relay ${JSON.stringify(r.name)}: ${JSON.stringify(a)} is not a TCP or WebSocket multiaddr ending in /p2p/<peer id>`)
      }
    }
    relays.push({ name: r.name!, operator: r.operator!, addresses: [...r.addresses as string[]] })
  }
  return { version: 1, relays }
}

/** Every address of the list, ready for `@quire/node`'s `bootstrap` option. */
export function bootstrapAddresses(list: BootstrapList): string[] {
  return list.relays.flatMap((r) => r.addresses)
}
