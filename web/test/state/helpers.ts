/**
 * State tests run the app's state classes in Node: the same Session code with memory-level for IndexedDB
 * and the Node transports (TCP, circuit relay) instead of the browser's. A relay runs as a real process.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { MemoryLevel } from 'memory-level'
import type { LevelDatabase } from '@quire/crdt'
import { createQuireNode } from '@quire/node'
import type { AutoGrant, BootstrapConfig } from '../../src/lib/peer/bootstrap-config.js'
import type { SessionPlatform } from '../../src/lib/peer/platform.js'
import { Session } from '../../src/lib/peer/session.svelte.js'

/** A browser profile that outlives a session: the same key and database across restarts. */
export interface MemoryProfile {
  key: PrivateKey
  db: MemoryLevel<string, Uint8Array>
  platform: SessionPlatform
}

export async function memoryProfile(): Promise<MemoryProfile> {
  const key = await generateKeyPair('Ed25519')
  const db = new MemoryLevel<string, Uint8Array>({ keyEncoding: 'utf8', valueEncoding: 'view' })
  return {
    key, db,
    platform: {
      loadIdentity: async () => key,
      // The session closes the database when it stops; memory-level keeps the data and opens again.
      openDatabase: async () => { await db.open(); return db as unknown as LevelDatabase },
      createNode: (init) => createQuireNode({ ...init, listen: ['/ip4/127.0.0.1/tcp/0', '/p2p-circuit'] }),
    },
  }
}

export function bootstrapOf(relays: string[], autoGrant: AutoGrant[] = []): BootstrapConfig {
  return { relays, autoGrant, source: relays.length > 0 ? 'query' : 'none' }
}

const sessions: Session[] = []

export async function startSession(profile: MemoryProfile, bootstrap: BootstrapConfig): Promise<Session> {
  const session = new Session({ platform: profile.platform, bootstrap, allowLoopback: true })
  sessions.push(session)
  await session.start()
  return session
}

export async function stopSessions(): Promise<void> {
  await Promise.all(sessions.splice(0).map((s) => s.stop()))
}

export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
