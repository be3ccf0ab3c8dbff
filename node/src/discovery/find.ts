import type { Libp2p, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { projectKey } from './project-key.js'

/** A peer that announced it holds a project, with the addresses the DHT knows for it. */
export interface ProjectHolder {
  id: PeerId
  multiaddrs: Multiaddr[]
}

/**
 * Yields the peers holding `projectId` according to the DHT's provider records, each once, never this
 * node itself. Ends when the DHT query ends; stop early with `signal` or by breaking out of the loop.
 */
export async function* findProjectHolders(node: Pick<Libp2p, 'contentRouting' | 'peerId'>, projectId: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<ProjectHolder> {
  const key = await projectKey(projectId)
  const seen = new Set<string>()
  for await (const provider of node.contentRouting.findProviders(key, options.signal ? { signal: options.signal } : {})) {
    const id = provider.id.toString()
    if (id === node.peerId.toString() || seen.has(id)) continue
    seen.add(id)
    yield { id: provider.id, multiaddrs: provider.multiaddrs }
  }
}
