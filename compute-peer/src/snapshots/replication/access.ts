/**
 * Who takes part in replication, from the projects' grants as this peer's index computes them (N20): the
 * backup role is the `compute` role (SECURITY.md): a peer holding it reads and writes every document of
 * the project and runs its workspace already, so holding the workspace's snapshots adds nothing it could
 * not have; the project's settings name which compute peer serves, the others are its standbys.
 */
import { canCompute, type ProjectIndex } from '@quire/node'
import type { ReplicaAccess } from './types.js'

export function replicaAccess(index: Pick<ProjectIndex, 'membership'>, serving: (project: string) => boolean): ReplicaAccess & { computePeers(project: string): Promise<string[]> } {
  const membership = (project: string) => index.membership(project as Parameters<ProjectIndex['membership']>[0], Date.now())?.catch(() => undefined)
  return {
    serving,
    async isComputePeer(project, peer) {
      const m = await membership(project)
      return m !== undefined && canCompute(m, peer)
    },
    async computePeers(project) {
      const m = await membership(project)
      return m === undefined ? [] : [...m.members.keys()].filter((peer) => canCompute(m, peer))
    },
  }
}
