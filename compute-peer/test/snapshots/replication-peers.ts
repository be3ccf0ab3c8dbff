/**
 * Peers for the replication tests: an owner, two compute peers (A serves, B is its standby), a reader and a
 * stranger, all real libp2p nodes on loopback with real grants; the grants are judged from the owner's index.
 */
import { readFile } from 'node:fs/promises'
import type { DocumentId } from '@automerge/automerge-repo'
import { createProjectWithGrants, type CreatedProject } from '@quire/node'
import { replicaAccess, type Frame, type ReplicaAccess } from '../../src/snapshots/index.js'
import { grant, member, type Member } from '../daemon/peers.js'

export interface ReplicationPeers {
  owner: Member
  a: Member
  b: Member
  reader: Member
  stranger: Member
  project: CreatedProject
  /** Projects each peer serves (the receiver refuses replicas of those). */
  serving: Map<string, Set<string>>
  access(peer: Member): ReplicaAccess & { computePeers(project: string): Promise<string[]> }
  stop(): Promise<void>
}

export async function replicationPeers(): Promise<ReplicationPeers> {
  const [owner, a, b, reader, stranger] = await Promise.all([member(), member(), member(), member(), member()])
  const project = await createProjectWithGrants(owner.q.repo, { name: 'Replicated', owner: owner.key, index: owner.index })
  await grant(owner, project, a.id, 'compute')
  await grant(owner, project, b.id, 'compute')
  await grant(owner, project, reader.id, 'reader')
  const serving = new Map<string, Set<string>>()
  return {
    owner, a, b, reader, stranger, project, serving,
    access: (peer) => replicaAccess(owner.index, (p) => serving.get(peer.id)?.has(p as DocumentId) === true),
    async stop() {
      await Promise.all([owner, a, b, reader, stranger].map((m) => m.stop()))
    },
  }
}

/** Whether two files hold the same bytes (vitest's deep equality of megabytes takes seconds). */
export async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([readFile(a), readFile(b)])
  return x.equals(y)
}

/** The code a promise rejects with (undefined when it resolves). */
export async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (err) {
    return (err as { code?: string }).code ?? `no code: ${(err as Error).message}`
  }
  return undefined
}

/** Damages the n-th data frame on the way (one byte flipped), after the sender's digest. */
export function flipByteIn(nth: number): (frame: Frame, n: number) => Frame | null {
  let seen = 0
  return (frame) => {
    const d = frame['d']
    if (!(d instanceof Uint8Array) || seen++ !== nth) return frame
    const copy = new Uint8Array(d)
    copy[Math.floor(copy.length / 2)]! ^= 0xff
    return { d: copy }
  }
}

/** Cuts the transfer at its n-th frame (the stream is closed without the end frame). */
export function cutAt(nth: number): (frame: Frame, n: number) => Frame | null {
  return (frame, n) => (n >= nth ? null : frame)
}
