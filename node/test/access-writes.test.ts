import { afterEach, describe, expect, it } from 'vitest'
import { next as A } from '@automerge/automerge'
import type { DocHandle, DocumentId, Message } from '@automerge/automerge-repo'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { addFile, appendGrantEntries, createGrants, createText, type TextDoc } from '@quire/crdt'
import {
  ProjectIndex,
  ROLE_CAPABILITIES,
  accessShareConfig,
  accessWriteFilter,
  canRequestExecution,
  canWrite,
  computeMembership,
  createProjectWithGrants,
  createQuireNode,
  createQuireRepo,
  peerIdOfKey,
  signGrant,
  signRevocation,
  type AccessWriteFilter,
  type CreatedProject,
  type DroppedChanges,
  type QuireNode,
  type QuireRepo,
  type Role,
} from '@quire/node'
import { dialNode, waitForDoc, waitUntil } from '@quire/node/testing'

/** A peer with read enforcement (share config) and write enforcement (the network filter). */
interface Peer {
  key: PrivateKey
  id: string
  node: QuireNode
  q: QuireRepo
  index: ProjectIndex
  filter: AccessWriteFilter
  dropped: DroppedChanges[]
  /** Sync messages the repo received (after the filter), in order. */
  delivered: Message[]
  /** Sync messages as they came off the wire (before the filter). */
  wire: Message[]
}

const indexes: ProjectIndex[] = []
const repos: QuireRepo[] = []
const nodes: QuireNode[] = []
afterEach(async () => {
  for (const index of indexes.splice(0)) index.stop()
  await Promise.all(repos.splice(0).map((q) => q.stop()))
  await Promise.all(nodes.splice(0).map((n) => n.stop()))
})

async function peer(): Promise<Peer> {
  const key = await generateKeyPair('Ed25519')
  const node = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true, privateKey: key })
  nodes.push(node)
  const index = new ProjectIndex()
  indexes.push(index)
  const dropped: DroppedChanges[] = []
  let filter!: AccessWriteFilter
  const q = await createQuireRepo({
    libp2p: node,
    shareConfig: accessShareConfig({ index }),
    wrapNetwork: [accessWriteFilter({ index, log: (d) => dropped.push(d), onCreate: (f) => { filter = f } })],
  })
  repos.push(q)
  await index.attach(q.repo)
  const wire: Message[] = []
  const delivered: Message[] = []
  q.adapter.on('message', (m) => { if (m.type === 'sync') wire.push(m) })
  q.network.on('message', (m) => { if (m.type === 'sync') delivered.push(m) })
  return { key, id: node.peerId.toString(), node, q, index, filter, dropped, delivered, wire }
}

async function connect(a: Peer, b: Peer): Promise<void> {
  await dialNode(a.node, b.node)
  await waitUntil(() => a.q.repo.peers.includes(b.q.repo.peerId) && b.q.repo.peers.includes(a.q.repo.peerId), 10_000, 'sync peers')
}

async function projectWithFile(owner: Peer): Promise<{ p: CreatedProject; file: DocHandle<TextDoc> }> {
  const p = await createProjectWithGrants(owner.q.repo, { name: 'Paper', owner: owner.key, index: owner.index })
  const file = owner.q.repo.create<TextDoc>(createText('first draft'))
  p.project.change((d) => { addFile(d, { path: 'paper.tex', kind: 'text', url: file.url }) })
  await owner.index.settled()
  return { p, file }
}

async function grant(admin: Peer, p: CreatedProject, subject: string, role: Role): Promise<string> {
  const g = await signGrant(admin.key, { project: p.id, subject, role })
  p.grants.change((d) => { appendGrantEntries(d, [g]) })
  await admin.index.settled()
  return g.id
}

/** `member` joins the project (owner pinned) through `via` and holds the file. */
async function join(member: Peer, owner: Peer, p: CreatedProject, file: DocHandle<TextDoc>, via: Peer = owner): Promise<DocHandle<TextDoc>> {
  await member.index.track(p.id, { owner: owner.id, provisionalReaders: via === owner ? [] : [via.id] })
  await connect(member, via)
  await waitUntil(() => member.index.projectsOf(file.documentId).length === 1, 10_000, 'the member indexing the project')
  await waitUntil(() => member.index.grantsOf(p.id) !== undefined, 10_000, 'the member holding the grants')
  const handle = await member.q.repo.find<TextDoc>(file.url, { signal: AbortSignal.timeout(10_000) })
  await waitForDoc(handle, (d) => d.content.length > 0)
  return handle
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const about = (doc: DocumentId) => (m: Message): boolean => m.documentId === doc

describe('access: write enforcement', () => {
  it('[A28] a reader\'s changes are dropped and counted; it still receives the writers\' changes', async () => {
    const owner = await peer()
    const { p, file } = await projectWithFile(owner)
    const reader = await peer()
    await grant(owner, p, reader.id, 'reader')
    const onReader = await join(reader, owner, p, file)

    onReader.change((d) => { d.content = 'the reader was here' })
    await waitUntil(() => owner.filter.stats.changesDropped > 0, 10_000, 'the owner dropping the reader\'s change')
    expect(owner.filter.stats.refusals.ACCESS_CHANGES_DROPPED).toBe(owner.filter.stats.changesDropped)
    expect(owner.dropped).toEqual([expect.objectContaining({ code: 'ACCESS_CHANGES_DROPPED', peer: reader.id, documentId: file.documentId, project: p.id })])
    // On the wire the change arrived; the repo was handed none of it.
    expect(owner.wire.some((m) => about(file.documentId)(m) && A.decodeSyncMessage((m as { data: Uint8Array }).data).changes.length > 0)).toBe(true)
    expect(owner.delivered.filter(about(file.documentId)).every((m) => A.decodeSyncMessage((m as { data: Uint8Array }).data).changes.length === 0)).toBe(true)
    await sleep(300)
    expect(file.doc().content).toBe('first draft')

    // The other direction still converges: the reader gets the owner's change, merged with its own.
    file.change((d) => { d.content = 'second draft' })
    await waitUntil(() => A.hasHeads(onReader.doc(), A.getHeads(file.doc())), 10_000, 'the reader holding the owner\'s heads')
    await sleep(300)
    expect(file.doc().content).toBe('second draft')
  })

  it('[A29] the sync between a writer and a non-writer goes quiet: stripped messages do not ping-pong', async () => {
    const owner = await peer()
    const { p, file } = await projectWithFile(owner)
    const reader = await peer()
    await grant(owner, p, reader.id, 'reader')
    const onReader = await join(reader, owner, p, file)
    for (let i = 0; i < 5; i++) {
      onReader.change((d) => { d.content = `reader edit ${i}` })
      file.change((d) => { d.content = `owner edit ${i}` })
      await sleep(50)
    }
    // The reader ends up with every change of the owner (merged with its own).
    await waitUntil(() => A.hasHeads(onReader.doc(), A.getHeads(file.doc())), 10_000, 'the reader holding the owner\'s heads')
    await sleep(1000)
    const wireThen = owner.wire.filter(about(file.documentId)).length
    const sentThen = reader.wire.filter(about(file.documentId)).length
    await sleep(1500)
    // Not one more message in either direction once both sides are done.
    expect(owner.wire.filter(about(file.documentId)).length).toBe(wireThen)
    expect(reader.wire.filter(about(file.documentId)).length).toBe(sentThen)
    // And the whole exchange stayed small: a few messages per edit, not a loop cut short by a timer.
    expect(wireThen).toBeLessThan(60)
    expect(owner.filter.stats.repeatsDropped).toBeGreaterThan(0)
    expect(file.doc().content).toBe('owner edit 4')
  })

  it('[A30] a revoked writer\'s earlier changes stay; its later ones are dropped by every peer', async () => {
    const owner = await peer()
    const { p, file } = await projectWithFile(owner)
    const writer = await peer()
    const other = await peer()
    const writerGrant = await grant(owner, p, writer.id, 'writer')
    await grant(owner, p, writer.id, 'reader') // stays a reader, so it keeps syncing
    await grant(owner, p, other.id, 'writer')
    const onWriter = await join(writer, owner, p, file)
    const onOther = await join(other, owner, p, file)
    await connect(writer, other)

    onWriter.change((d) => { d.content = 'written while allowed' })
    await waitForDoc(file, (d) => d.content === 'written while allowed')
    await waitForDoc(onOther, (d) => d.content === 'written while allowed')

    const revocation = await signRevocation(owner.key, { project: p.id, target: writerGrant })
    p.grants.change((d) => { appendGrantEntries(d, [revocation]) })
    await owner.index.settled()
    const otherGrants = await other.q.repo.find(p.grants.url)
    await waitUntil(async () => !canWrite((await other.index.membership(p.id, Date.now()))!, writer.id), 10_000, 'the revocation reaching the other writer')
    await waitUntil(async () => !canWrite((await writer.index.membership(p.id, Date.now()))!, writer.id), 10_000, 'the revocation reaching the revoked writer')
    expect(otherGrants.isReady()).toBe(true)

    onWriter.change((d) => { d.content = 'written after the revocation' })
    await waitUntil(() => owner.filter.stats.changesDropped > 0 && other.filter.stats.changesDropped > 0, 10_000, 'both peers dropping it')
    await sleep(300)
    expect(file.doc().content).toBe('written while allowed')
    expect(onOther.doc().content).toBe('written while allowed')
    // The others still write, and the revoked writer (a reader now) still receives.
    onOther.change((d) => { d.content = 'the other writer goes on' })
    await waitForDoc(file, (d) => d.content === 'the other writer goes on')
    await waitUntil(() => A.hasHeads(onWriter.doc(), A.getHeads(onOther.doc())), 10_000, 'the revoked writer holding the other writer\'s heads')
  })

  it('[A31] compute peers write (outputs), and relays\' forwarded changes are accepted', async () => {
    expect(ROLE_CAPABILITIES.compute.write).toBe(true)
    const owner = await peer()
    const { p, file } = await projectWithFile(owner)
    const compute = await peer()
    const relay = await peer()
    await grant(owner, p, compute.id, 'compute')
    await grant(owner, p, relay.id, 'relay')
    const onCompute = await join(compute, owner, p, file)
    onCompute.change((d) => { d.content = 'output written by the compute peer' })
    await waitForDoc(file, (d) => d.content === 'output written by the compute peer')

    // The relay holds a copy; a writer that reaches only the relay gets its changes to the owner through it.
    const onRelay = await join(relay, owner, p, file)
    const writer = await peer()
    await grant(owner, p, writer.id, 'writer')
    await waitUntil(async () => canWrite((await relay.index.membership(p.id, Date.now()))!, writer.id), 10_000, 'the relay learning of the writer')
    const onWriter = await join(writer, owner, p, file, relay)
    expect(writer.node.getConnections(owner.node.peerId)).toEqual([])
    onWriter.change((d) => { d.content = 'through the relay' })
    await waitForDoc(onRelay, (d) => d.content === 'through the relay')
    await waitForDoc(file, (d) => d.content === 'through the relay')
    expect(owner.filter.stats.changesDropped).toBe(0)
  })

  it('[A32] code runs only for writers: canRequestExecution is true for the owner, admins and writers only', async () => {
    const owner = await generateKeyPair('Ed25519')
    const ownerId = peerIdOfKey(owner)
    const peers: Record<Role, string> = {} as Record<Role, string>
    const entries: Array<Awaited<ReturnType<typeof signGrant>>> = []
    for (const role of ['admin', 'writer', 'reader', 'compute', 'relay'] as const) {
      const key = await generateKeyPair('Ed25519')
      peers[role] = peerIdOfKey(key)
      entries.push(await signGrant(owner, { project: 'p1', subject: peers[role], role }))
    }
    const grants = A.change(createGrants({ project: 'p1', owner: ownerId }), (d) => { appendGrantEntries(d, entries) })
    const m = await computeMembership(grants, { now: Date.now(), owner: ownerId, project: 'p1' })
    expect(canRequestExecution(m, ownerId)).toBe(true)
    expect(Object.fromEntries(Object.entries(peers).map(([role, id]) => [role, canRequestExecution(m, id)])))
      .toEqual({ admin: true, writer: true, reader: false, compute: false, relay: false })
    expect(canWrite(m, peers.compute)).toBe(true) // it writes outputs, but asks for nothing to run
    expect(canRequestExecution(m, 'a stranger')).toBe(false)
  })
})
