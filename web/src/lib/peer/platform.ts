/**
 * What a Session needs from its surroundings. The browser provides IndexedDB and the browser libp2p
 * transports (`browserPlatform`); state tests provide memory-level and Node transports, so the same
 * Session code runs in both.
 */
import type { PrivateKey } from '@libp2p/interface'
import type { LevelDatabase } from '@quire/crdt'
import type { QuireNode, QuireNodeInit } from '@quire/node'

export interface SessionPlatform {
  /** The persistent Ed25519 identity of this browser profile. */
  loadIdentity(): Promise<PrivateKey>
  /** The one database of this browser profile (documents, blobs, project list, profile), opened. */
  openDatabase(): Promise<LevelDatabase>
  createNode(init: QuireNodeInit): Promise<QuireNode>
}
