/**
 * Blobs for components: `get` reads the local store, else fetches from connected peers that may hold it
 * (relays first) and keeps a copy; `put` stores locally, where members fetch it from.
 */
import { BlobService, BlobStore, type ProjectIndex, type QuireNode } from '@quire/node'
import type { LevelDatabase } from '@quire/crdt'
import type { DocumentId } from '@automerge/automerge-repo'

export interface BlobAccess {
  get(hash: string, options?: { signal?: AbortSignal }): Promise<Uint8Array>
  put(bytes: Uint8Array): Promise<string>
}

export async function startBlobs(
  node: QuireNode, db: LevelDatabase, index: ProjectIndex, projects: () => Iterable<DocumentId>, relayIds: () => readonly string[],
): Promise<{ access: BlobAccess; service: BlobService }> {
  const store = new BlobStore(db, { sublevel: 'blobs' })
  // A blob is served to a peer that may read some project this browser tracks: blobs are named by hash
  // only, so finer checks would need to know every blob each project links.
  const isMember = async (peer: string): Promise<boolean> => {
    const now = Date.now()
    for (const project of projects()) if (await index.canRead(project, peer, now)) return true
    return false
  }
  const service = new BlobService({ libp2p: node, store, authorize: (peer, _hash, op) => (op === 'get' ? isMember(peer) : false) })
  await service.start()
  const access: BlobAccess = {
    async get(hash, options = {}) {
      const local = await store.get(hash)
      if (local !== undefined) return local
      const relays = new Set(relayIds())
      const peers = [...new Map(node.getConnections().filter((c) => c.status === 'open').map((c) => [c.remotePeer.toString(), c.remotePeer])).values()]
      peers.sort((a, b) => Number(relays.has(b.toString())) - Number(relays.has(a.toString())))
      let last: unknown
      for (const peer of peers) {
        try {
          const bytes = await service.fetch(peer, hash, options)
          await store.put(bytes, hash)
          return bytes
        } catch (err) {
          last = err
        }
      }
      throw last ?? new Error(`Blob ${hash.slice(0, 12)}… is not here and no connected peer has it: wait until a member who has it is online.`)
    },
    put: (bytes) => store.put(bytes),
  }
  return { access, service }
}
