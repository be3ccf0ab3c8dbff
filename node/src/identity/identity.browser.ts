import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { IdentityError } from './errors.js'

// The node package compiles without the DOM library, so the few IndexedDB members used are typed here.
interface IdbRequest<T> { result: T; error: unknown; onsuccess: (() => void) | null; onerror: (() => void) | null }
interface IdbOpenRequest extends IdbRequest<IdbDatabase> { onupgradeneeded: (() => void) | null }
interface IdbStore { get(key: string): IdbRequest<unknown>; add(value: unknown, key: string): IdbRequest<unknown> }
interface IdbTransaction { objectStore(name: string): IdbStore }
interface IdbDatabase {
  objectStoreNames: { contains(name: string): boolean }
  createObjectStore(name: string): unknown
  transaction(store: string, mode: 'readonly' | 'readwrite'): IdbTransaction
  close(): void
}
interface IdbFactory { open(name: string, version: number): IdbOpenRequest }

const STORE = 'keys'
const KEY = 'self'

function done<T>(req: IdbRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

function decode(bytes: unknown, dbName: string): PrivateKey {
  try {
    if (!(bytes instanceof Uint8Array)) throw new Error('not bytes')
    const key = privateKeyFromProtobuf(bytes)
    if (key.type !== 'Ed25519') throw new Error(`${key.type} key`)
    return key
  } catch (err) {
    throw new IdentityError('IDENTITY_KEY_CORRUPT',
      `the identity in IndexedDB '${dbName}' is unreadable (${(err as Error).message}); clear this site's data to get a new identity`)
  }
}

/**
 * Loads the browser's Ed25519 key from IndexedDB database `dbName`, creating it on first use.
 * Two tabs racing both end up with the key that was stored first (`add` refuses to overwrite).
 */
export async function loadOrCreateIdentity(dbName = 'quire-identity'): Promise<PrivateKey> {
  const idb = (globalThis as { indexedDB?: IdbFactory }).indexedDB
  if (!idb) throw new IdentityError('IDENTITY_STORE_UNAVAILABLE', 'IndexedDB is not available (private browsing?); Quire needs it to keep your identity')
  const open = idb.open(dbName, 1)
  open.onupgradeneeded = () => {
    if (!open.result.objectStoreNames.contains(STORE)) open.result.createObjectStore(STORE)
  }
  const db = await done(open)
  try {
    const stored = await done(db.transaction(STORE, 'readonly').objectStore(STORE).get(KEY))
    if (stored !== undefined) return decode(stored, dbName)
    const key = await generateKeyPair('Ed25519')
    try {
      await done(db.transaction(STORE, 'readwrite').objectStore(STORE).add(privateKeyToProtobuf(key), KEY))
      return key
    } catch {
      return decode(await done(db.transaction(STORE, 'readonly').objectStore(STORE).get(KEY)), dbName)
    }
  } finally {
    db.close()
  }
}
