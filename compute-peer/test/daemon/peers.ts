/** In-process member peers for the compute daemon tests: a libp2p node, a repo with read enforcement, blobs. */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { MemoryLevel } from 'memory-level'
import { appendGrantEntries } from '@quire/crdt'
import {
  BlobService,
  BlobStore,
  ProjectIndex,
  accessShareConfig,
  createQuireNode,
  createQuireRepo,
  signGrant,
  type CreatedProject,
  type QuireNode,
  type QuireRepo,
  type Role,
} from '@quire/node'

export interface Member {
  key: PrivateKey
  id: string
  node: QuireNode
  q: QuireRepo
  index: ProjectIndex
  blobs: BlobService
  stop(): Promise<void>
}

export async function member(): Promise<Member> {
  const key = await generateKeyPair('Ed25519')
  const node = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true, privateKey: key })
  const index = new ProjectIndex()
  const q = await createQuireRepo({ libp2p: node, shareConfig: accessShareConfig({ index }) })
  await index.attach(q.repo)
  const blobs = new BlobService({ libp2p: node, store: new BlobStore(new MemoryLevel<string, Uint8Array>()) })
  await blobs.start()
  return {
    key, id: node.peerId.toString(), node, q, index, blobs,
    async stop() {
      index.stop()
      await q.stop()
      await blobs.stop()
      await node.stop()
    },
  }
}

export async function grant(owner: Member, project: CreatedProject, subject: string, role: Role): Promise<void> {
  const g = await signGrant(owner.key, { project: project.id, subject, role })
  project.grants.change((d) => { appendGrantEntries(d, [g]) })
  await owner.index.settled()
}
