import { afterEach, describe, expect, it } from 'vitest'
import { next as A } from '@automerge/automerge'
import type { DocHandle, DocumentId, Message } from '@automerge/automerge-repo'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { addFile, appendGrantEntries, createText, readGrants, readProject, type GrantsDoc, type TextDoc } from '@quire/crdt'
import {
  ProjectIndex,
  accessShareConfig,
  createInvite,
  createProjectWithGrants,
  createQuireNode,
  createQuireRepo,
  createRedemptionRequest,
  requestRedemption,
  revokeMember,
  serveRedemptions,
  signGrant,
  verifyInvite,
  type AccessShareConfig,
  type CreatedProject,
  type OutsideProjectsPolicy,
  type QuireNode,
  type QuireRepo,
  type Role,
} from '@quire/node'
import { RawSyncStream, dialNode, waitForDoc, waitUntil } from '@quire/node/testing'

interface Peer {
  key: PrivateKey
  id: string
  node: QuireNode
  q: QuireRepo
  index: ProjectIndex
  share: AccessShareConfig
  /** Every repo message this peer received, in order. */
  received: Message[]
}

const cleanups: Array<() => Promise<void>> = []
const indexes: ProjectIndex[] = []
const repos: QuireRepo[] = []
const nodes: QuireNode[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
  for (const index of indexes.splice(0)) index.stop()
  await Promise.all(repos.splice(0).map((q) => q.stop()))
  await Promise.all(nodes.splice(0).map((n) => n.stop()))
})

async function peer(options: { outsideProjects?: OutsideProjectsPolicy } = {}): Promise<Peer> {
  const key = await generateKeyPair('Ed25519')
  const node = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true, privateKey: key })
  nodes.push(node)
  const index = new ProjectIndex()
  const share = accessShareConfig({ index, ...options })
  const q = await createQuireRepo({ libp2p: node, shareConfig: share })
  repos.push(q)
  indexes.push(index)
  await index.attach(q.repo)
  const received: Message[] = []
  q.adapter.on('message', (m) => received.push(m))
  return { key, id: node.peerId.toString(), node, q, index, share, received }
}

async function connect(a: Peer, b: Peer): Promise<void> {
  await dialNode(a.node, b.node)
  await waitUntil(() => a.q.repo.peers.includes(b.q.repo.peerId) && b.q.repo.peers.includes(a.q.repo.peerId), 10_000, 'sync peers')
}

/** A project owned by `owner` with one text file. */
async function projectWithFile(owner: Peer): Promise<{ p: CreatedProject; file: DocHandle<TextDoc>; docs: DocumentId[] }> {
  const p = await createProjectWithGrants(owner.q.repo, { name: 'Paper', owner: owner.key, index: owner.index })
  const file = owner.q.repo.create<TextDoc>(createText('secret draft'))
  p.project.change((d) => { addFile(d, { path: 'paper.tex', kind: 'text', url: file.url }) })
  await owner.index.settled()
  return { p, file, docs: [p.id, p.grants.documentId, p.chat.documentId, file.documentId] }
}

async function grant(owner: Peer, p: CreatedProject, subject: string, role: Role): Promise<void> {
  const g = await signGrant(owner.key, { project: p.id, subject, role })
  p.grants.change((d) => { appendGrantEntries(d, [g]) })
  await owner.index.settled()
}

describe('access: projects and the project index', () => {
  it('[A19] createProjectWithGrants links a project, its grants (owned by the key) and its chat, and the index places each', async () => {
    const owner = await peer()
    const { p, file } = await projectWithFile(owner)
    const project = readProject(p.project.doc())
    expect(project.ok && project.value.grantsUrl).toBe(p.grants.url)
    expect(project.ok && project.value.chatUrl).toBe(p.chat.url)
    expect(project.ok && project.value.owner).toBe(owner.id)
    const grants = readGrants(p.grants.doc())
    expect(grants.ok && grants.value.project).toBe(p.id)
    expect(grants.ok && grants.value.owner).toBe(owner.id)
    for (const doc of [p.id, p.grants.documentId, p.chat.documentId, file.documentId]) expect(owner.index.projectsOf(doc)).toEqual([p.id])
    expect(owner.index.grantsOf(p.id)).toBe(p.grants.documentId)
    expect(owner.index.projectsOf(owner.q.repo.create({}).documentId)).toEqual([])
    // Removing a file from the project takes it out of the project's documents.
    p.project.change((d) => { for (const id of Object.keys(d.files)) delete d.files[id] })
    await owner.index.settled()
    expect(owner.index.projectsOf(file.documentId)).toEqual([])
  })
})

describe('access: read enforcement between real peers', () => {
  it('[A20] a stranger who knows the ids gets doc-unavailable and zero bytes of any project document', async () => {
    const owner = await peer()
    const { docs } = await projectWithFile(owner)
    const stranger = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
    nodes.push(stranger)
    const s = await RawSyncStream.open(stranger, owner.node)
    s.sendHello(stranger)
    await s.waitForFrame((f) => f.type === 'quire-hello')
    const [, request] = A.generateSyncMessage(A.init(), A.initSyncState())
    for (const documentId of docs) s.sendFrame({ type: 'request', documentId, data: request })
    for (const documentId of docs) await s.waitForFrame((f) => f.type === 'doc-unavailable' && f.documentId === documentId)
    // Pretending to have changes (a sync message) changes nothing either.
    s.sendFrame({ type: 'sync', documentId: docs[3], data: request })
    await new Promise((r) => setTimeout(r, 300))
    const about = s.frames.filter((f) => docs.includes((f as { documentId?: DocumentId }).documentId as DocumentId)) as Array<Record<string, unknown>>
    expect(about.every((f) => f.type === 'doc-unavailable' && f.data === undefined)).toBe(true)
    expect(about.length).toBeGreaterThanOrEqual(docs.length)
    // Not one frame carrying document data, about these documents or any other.
    expect(s.frames.filter((f) => ['sync', 'request'].includes((f as { type?: string }).type ?? ''))).toEqual([])
    // Counted once per peer and document, however often the stranger asks.
    expect(owner.share.refusals.ACCESS_NOT_A_READER).toBe(docs.length)
  })

  it('[A20] a stranger running a repo never gets a project document, nor an announcement of one', async () => {
    const owner = await peer()
    const { file, docs } = await projectWithFile(owner)
    // 'allow': a peer that denies documents of no project would not even ask for the file.
    const stranger = await peer({ outsideProjects: 'allow' })
    await connect(owner, stranger)
    const handle = await stranger.q.repo.find<TextDoc>(file.url, { allowableStates: ['ready', 'unavailable'] })
    expect(handle.isUnavailable()).toBe(true)
    file.change((d) => { d.content = 'still secret' })
    await new Promise((r) => setTimeout(r, 300))
    const about = stranger.received.filter((m) => m.documentId !== undefined && docs.includes(m.documentId))
    expect(about.map((m) => m.type)).toEqual(['doc-unavailable'])
  })

  it('[A21] a reader receives the project, its grants, chat and files', async () => {
    const owner = await peer()
    const { p, file } = await projectWithFile(owner)
    const reader = await peer()
    await grant(owner, p, reader.id, 'reader')
    await reader.index.track(p.project.url, { owner: owner.id })
    await connect(owner, reader)
    // The reader fetches the project document (from peers that may read it: the pinned owner), and its
    // index places the file under the project; only then does the reader ask for the file.
    await waitUntil(() => reader.index.projectsOf(file.documentId).length === 1, 10_000, 'the reader indexing the project')
    const onReader = await reader.q.repo.find<TextDoc>(file.url)
    await waitForDoc(onReader, (d) => d.content === 'secret draft')
    const grants = await reader.q.repo.find(p.grants.url)
    const membership = await reader.index.membership(p.id, Date.now())
    expect(membership?.members.get(reader.id)?.roles).toEqual(['reader'])
    expect(grants.isReady()).toBe(true)
    file.change((d) => { d.content = 'second draft' })
    await waitForDoc(onReader, (d) => d.content === 'second draft')
  })

  it('[A21] a new member accepted by an admin device can fetch the project from it alone (provisional reader)', async () => {
    const owner = await peer()
    const { p, file } = await projectWithFile(owner)
    const admin = await peer()
    await grant(owner, p, admin.id, 'admin')
    await admin.index.track(p.id, { owner: owner.id })
    await connect(owner, admin)
    await waitUntil(() => admin.index.projectsOf(file.documentId).length === 1, 10_000, 'the admin indexing the project')
    const adminFile = await admin.q.repo.find<TextDoc>(file.url)
    const adminGrants = await admin.q.repo.find<GrantsDoc>(p.grants.url)
    await waitForDoc(adminFile, (d) => d.content === 'secret draft')
    await waitUntil(async () => (await admin.index.membership(p.id, Date.now()))?.members.get(admin.id)?.roles.includes('admin') === true, 10_000, 'the admin seeing its grant')

    // The owner's device is not reachable by the new member: only the admin's is.
    const joiner = await peer()
    const g = await signGrant(admin.key, { project: p.id, subject: joiner.id, role: 'reader' })
    adminGrants.change((d) => { appendGrantEntries(d, [g]) })
    await admin.index.settled()
    await joiner.index.track(p.id, { owner: owner.id, provisionalReaders: [admin.id] })
    await connect(admin, joiner)
    await waitUntil(() => joiner.index.projectsOf(file.documentId).length === 1, 10_000, 'the joiner indexing the project')
    const onJoiner = await joiner.q.repo.find<TextDoc>(file.url)
    await waitForDoc(onJoiner, (d) => d.content === 'secret draft')
    // With the grants document in hand, the admin counts through its grant, not provisionally.
    await waitUntil(async () => (await joiner.index.membership(p.id, Date.now()))?.members.get(admin.id)?.roles.includes('admin') === true, 10_000, 'the joiner verifying the admin')
    expect(joiner.node.getConnections(owner.node.peerId)).toEqual([])
  })

  it('[A22] a revoked member keeps its copy but receives no change from the next sync on', async () => {
    const owner = await peer()
    const { p, file } = await projectWithFile(owner)
    const reader = await peer()
    await grant(owner, p, reader.id, 'reader')
    await reader.index.track(p.id, { owner: owner.id })
    await connect(owner, reader)
    await waitUntil(() => reader.index.projectsOf(file.documentId).length === 1, 10_000, 'the reader indexing the project')
    const onReader = await reader.q.repo.find<TextDoc>(file.url)
    await waitForDoc(onReader, (d) => d.content === 'secret draft')

    const membership = (await owner.index.membership(p.id, Date.now()))!
    const revocations = await revokeMember(owner.key, membership, reader.id)
    p.grants.change((d) => { appendGrantEntries(d, revocations) })
    await owner.index.settled()
    const from = reader.received.length
    file.change((d) => { d.content = 'after the revocation' })
    await new Promise((r) => setTimeout(r, 300))
    expect(onReader.doc().content).toBe('secret draft') // its earlier copy, and nothing newer
    // Its own messages about the project are refused too.
    onReader.change((d) => { d.content = 'the reader writes' })
    await waitUntil(() => reader.received.slice(from).some((m) => m.type === 'doc-unavailable' && m.documentId === file.documentId), 5000, 'a refusal')
    await new Promise((r) => setTimeout(r, 200))
    const after = reader.received.slice(from).filter((m) => m.documentId === file.documentId)
    expect(after.filter((m) => m.type === 'sync')).toEqual([])
    expect(file.doc().content).toBe('after the revocation')
  })

  it('[A23] [A27] an invite redeemed end to end over /quire/redeem/1.0.0: refused before, then the project syncs to the new member', async () => {
    const owner = await peer()
    const { p, file } = await projectWithFile(owner)
    const { token } = await createInvite(owner.key, { project: p.id, owner: owner.id, role: 'writer', expires: Date.now() + 3_600_000 })

    // The new peer learns the project and its owner from the signed invite alone.
    const joiner = await peer()
    const invite = await verifyInvite(token, { now: Date.now() })
    await joiner.index.track(invite.project as DocumentId, { owner: invite.owner })
    await connect(owner, joiner)
    const before = await joiner.q.repo.find(p.project.url, { allowableStates: ['ready', 'unavailable'] })
    expect(before.isUnavailable()).toBe(true)

    // The request travels to the owner's device over /quire/redeem/1.0.0; it accepts and appends the entries.
    const service = await serveRedemptions({ libp2p: owner.node, repo: owner.q.repo, index: owner.index, key: owner.key })
    cleanups.push(() => service.stop())
    const request = await createRedemptionRequest(joiner.key, token)
    const forwarder = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
    nodes.push(forwarder)
    const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: { code?: string }) => e.code)
    expect(await codeOf(requestRedemption(forwarder, owner.node.getMultiaddrs(), { invite: token, request }))).toBe('REDEMPTION_FORGED')
    const { grant } = await requestRedemption(joiner.node, owner.node.peerId, { invite: token, request })
    expect(grant).toMatch(/^[A-Za-z0-9_-]{86}$/)
    expect(await codeOf(requestRedemption(joiner.node, owner.node.peerId, { invite: token, request }))).toBe('INVITE_ALREADY_REDEEMED')
    const elsewhere = await createInvite(owner.key, { project: joiner.q.repo.create({}).documentId, owner: owner.id, role: 'reader', expires: Date.now() + 60_000 })
    const elsewhereRequest = await createRedemptionRequest(joiner.key, elsewhere.token)
    expect(await codeOf(requestRedemption(joiner.node, owner.node.peerId, { invite: elsewhere.token, request: elsewhereRequest }))).toBe('PROJECT_UNKNOWN')

    // The owner now offers the project it had refused: the pending request is answered, links follow.
    // (waitForDoc would miss it: the handle's only 'change' comes before it turns ready.)
    await before.whenReady()
    expect(readProject(before.doc()).ok).toBe(true)
    await waitUntil(() => joiner.index.projectsOf(file.documentId).length === 1, 10_000, 'the joiner indexing the project')
    const onJoiner = await joiner.q.repo.find<TextDoc>(file.url)
    await waitForDoc(onJoiner, (d) => d.content === 'secret draft')
    await waitUntil(() => joiner.index.grantsOf(p.id) === p.grants.documentId, 10_000, 'the joiner pinning the grants document')
    const membership = await joiner.index.membership(p.id, Date.now())
    expect(membership?.members.get(joiner.id)?.roles).toEqual(['writer'])
  })

  it('[A22] a grant that expires stops the sync at its expiry, without any new entry', async () => {
    // The reader must fetch the document while its grant lasts. A short grant keeps the test short, but a
    // loaded machine may need longer than that to set up: then the same check runs again with a longer grant.
    for (const lifetimeMs of [1_500, 5_000, 15_000, 45_000]) {
      const owner = await peer()
      const { p, file } = await projectWithFile(owner)
      const reader = await peer()
      const expires = Date.now() + lifetimeMs
      const g = await signGrant(owner.key, { project: p.id, subject: reader.id, role: 'reader', expires })
      p.grants.change((d) => { appendGrantEntries(d, [g]) })
      await owner.index.settled()
      await reader.index.track(p.id, { owner: owner.id })
      await connect(owner, reader)
      await waitUntil(() => reader.index.projectsOf(file.documentId).length === 1, 10_000, 'the reader indexing the project')
      const onReader = await reader.q.repo.find<TextDoc>(file.url, { allowableStates: ['ready', 'unavailable'] })
      if (onReader.isUnavailable() || Date.now() >= expires) {
        console.log(`[A22] the grant of ${lifetimeMs} ms expired before the reader had the document; again with a longer one`)
        continue
      }
      await waitForDoc(onReader, (d) => d.content === 'secret draft')
      await waitUntil(async () => !(await owner.index.canRead(p.id, reader.id, Date.now())), lifetimeMs + 5_000, 'the grant to expire')
      await owner.index.settled()
      file.change((d) => { d.content = 'after the expiry' })
      await new Promise((r) => setTimeout(r, 300))
      expect(onReader.doc().content).toBe('secret draft')
      return
    }
    throw new Error('the reader never got the document while its grant lasted, even with a 45 s grant')
  }, 180_000)

  it('[A25] a document linked from two projects is served only to peers that may read both', async () => {
    const owner = await peer()
    const x = await projectWithFile(owner)
    const y = await projectWithFile(owner)
    const insider = await peer()
    await grant(owner, x.p, insider.id, 'writer')
    // A writer of x links y's file into x (project documents are not signed).
    x.p.project.change((d) => { addFile(d, { path: 'borrowed.tex', kind: 'text', url: y.file.url }) })
    await owner.index.settled()
    expect([...owner.index.projectsOf(y.file.documentId)].sort()).toEqual([x.p.id, y.p.id].sort())
    await insider.index.track(x.p.id, { owner: owner.id })
    await connect(owner, insider)
    await waitUntil(() => insider.index.projectsOf(y.file.documentId).length === 1, 10_000, 'the insider indexing x')
    const own = await insider.q.repo.find<TextDoc>(x.file.url)
    await waitForDoc(own, (d) => d.content === 'secret draft')
    const borrowed = await insider.q.repo.find(y.file.url, { allowableStates: ['ready', 'unavailable'] })
    expect(borrowed.isUnavailable()).toBe(true)
  })

  it('[A26] the grants document is pinned on first sight: relinking the project to another one changes nothing', async () => {
    const problems: string[] = []
    const owner = await peer()
    const index = new ProjectIndex({ onProblem: (p) => problems.push(p.code) })
    indexes.push(index)
    const { p } = await projectWithFile(owner)
    const reader = await peer()
    await grant(owner, p, reader.id, 'reader')
    // A fresh grants document that lacks the reader's grant (or a revocation) must not replace the real one.
    const fresh = owner.q.repo.create(readGrants(p.grants.doc()).ok ? { ...p.grants.doc(), entries: {} } : {})
    p.project.change((d) => { d.grantsUrl = fresh.url as never })
    await owner.index.settled()
    expect(owner.index.grantsOf(p.id)).toBe(p.grants.documentId)
    expect(await owner.index.canRead(p.id, reader.id, Date.now())).toBe(true)
    await index.attach(owner.q.repo)
    await index.track(p.id, { owner: owner.id })
    expect(index.grantsOf(p.id)).toBe(fresh.documentId)
    p.project.change((d) => { d.grantsUrl = p.grants.url as never })
    await index.settled()
    expect(index.grantsOf(p.id)).toBe(fresh.documentId)
    expect(problems).toContain('ACCESS_GRANTS_RELINKED')
  })

  it('[A24] documents of no tracked project follow the outsideProjects policy: deny by default, or a predicate', async () => {
    const denying = await peer()
    const scratch = denying.q.repo.create<TextDoc>(createText('note'))
    const personal = new Set<string>()
    const allowing = await peer({ outsideProjects: (_peer, doc) => personal.has(doc) })
    const mine = allowing.q.repo.create<TextDoc>(createText('mine'))
    const other = allowing.q.repo.create<TextDoc>(createText('other'))
    personal.add(mine.documentId)
    const asker = await peer({ outsideProjects: 'allow' })
    await connect(asker, denying)
    await connect(asker, allowing)
    const find = (url: string) => asker.q.repo.find<TextDoc>(url as never, { allowableStates: ['ready', 'unavailable'] })
    expect((await find(scratch.url)).isUnavailable()).toBe(true)
    expect(denying.share.refusals.ACCESS_OUTSIDE_PROJECTS).toBeGreaterThan(0)
    const got = await find(mine.url)
    await waitForDoc(got, (d) => d.content === 'mine')
    expect((await find(other.url)).isUnavailable()).toBe(true)
  })
})
