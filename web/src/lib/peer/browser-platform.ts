import { BrowserLevel } from 'browser-level'
import { createQuireNode, loadOrCreateIdentity } from '@quire/node'
import type { LevelDatabase } from '@quire/crdt'
import type { SessionPlatform } from './platform.js'

/**
 * IndexedDB and the browser's transports. `name` separates profiles (tests open two apps in one origin
 * only in separate browsers, but a `?profile=` parameter is handy in development).
 */
export function browserPlatform(name = 'quire'): SessionPlatform {
  return {
    loadIdentity: () => loadOrCreateIdentity(`${name}-identity`),
    openDatabase: async () => {
      const db = new BrowserLevel<string, Uint8Array>(`${name}-data`, { keyEncoding: 'utf8', valueEncoding: 'view' })
      await db.open()
      return db as unknown as LevelDatabase
    },
    createNode: (init) => createQuireNode(init),
  }
}
