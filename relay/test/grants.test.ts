import { describe, expect, it } from 'vitest'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { next as A } from '@automerge/automerge'
import type { DocHandle, DocumentId } from '@automerge/automerge-repo'
import { multiaddr } from '@multiformats/multiaddr'
import { appendGrantEntries, type TextDoc } from '@quire/crdt'
import { createQuireNode, hostingRequestFor, requestHosting, signRevocation, type QuireNode } from '@quire/node'
import { RawSyncStream, waitForDoc, waitUntil } from '@quire/node/testing'
import type { RelayProcess } from '@quire/relay/testing'
import { get, metricValue, readStoredDoc, tempDir } from './helpers.js'
import { grantsFixtures, type Member } from './grants-fixtures.js'

const { cleanups, member, dial, relayProcess, grant, ownerWithProject } = grantsFixtures('quire-relay-grants-')

/** Resolves once the relay acknowledged `handle` as `m` holds it (its heads, reported by automerge-repo). */
async function relayHolds(m: Member, relay: RelayProcess, handle: DocHandle<unknown>): Promise<void> {
  await waitUntil(() => {
    const storageId = m.q.repo.getStorageIdOfPeer(relay.info.peerId as never)
    const theirs = storageId === undefined ? undefined : handle.getSyncInfo(storageId)?.lastHeads
    return theirs !== undefined && [...theirs].sort().join() === [...handle.heads()].sort().join()
  }, 20_000, `the relay holding ${handle.documentId}`)
}

/** Asks the relay for documents on a bare stream; returns the frames it answered about them. */
async function probe(relay: RelayProcess, documents: DocumentId[]): Promise<Array<Record<string, unknown>>> {
  const prober = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
  cleanups.push(async () => { await prober.stop() })
  const raw = await RawSyncStream.open(prober, { getMultiaddrs: () => [multiaddr(relay.tcpAddress)] } as unknown as QuireNode)
  raw.sendHello(prober)
  const [, data] = A.generateSyncMessage(A.init(), A.initSyncState())
  for (const documentId of documents) raw.sendFrame({ type: 'request', documentId, data })
  for (const documentId of documents) await raw.waitForFrame((f) => f.type === 'doc-unavailable' && f.documentId === documentId, 10_000)
  return raw.frames.filter((f): f is Record<string, unknown> => documents.includes((f as { documentId?: DocumentId }).documentId as DocumentId))
}

describe('relay hosting by grants', () => {
  it('[RL16] [A33] a relay without a relay grant refuses the project, keeps nothing and serves nothing; a non-admin cannot ask', async () => {
    const { relay, dir } = await relayProcess()
    const { owner, p, file } = await ownerWithProject()
    await dial(owner, relay)
    const request = await hostingRequestFor(owner.q.repo, p.id)
    await expect(requestHosting(owner.node, multiaddr(relay.tcpAddress), request)).rejects.toMatchObject({ code: 'HOST_NOT_GRANTED' })

    // A writer is not an admin: granted or not, it cannot make a relay host the project.
    const writer = await member()
    await grant(owner, p, writer.id, 'writer')
    await grant(owner, p, relay.info.peerId, 'relay')
    await writer.node.dial(multiaddr(relay.tcpAddress))
    await expect(requestHosting(writer.node, multiaddr(relay.tcpAddress), await hostingRequestFor(owner.q.repo, p.id))).rejects.toMatchObject({ code: 'NOT_ADMIN' })

    const docs = [p.id, p.grants.documentId, p.chat.documentId, file.documentId]
    const frames = await probe(relay, docs)
    expect(frames.filter((f) => f.type !== 'doc-unavailable')).toEqual([])
    expect(JSON.parse((await get(`${relay.httpUrl}/healthz`)).body).documentsHosted).toBe(0)
    await relay.proc.stop()
    for (const doc of docs) expect(await readStoredDoc(dir, `automerge:${doc}`)).toBeUndefined()
  })

  it('[RL17] once granted and asked by an admin, the relay hosts the project for its members only', async () => {
    const { relay } = await relayProcess()
    const { owner, p, file } = await ownerWithProject()
    await dial(owner, relay)
    const reader = await member()
    await grant(owner, p, reader.id, 'reader')
    await grant(owner, p, relay.info.peerId, 'relay')
    await requestHosting(owner.node, multiaddr(relay.tcpAddress), await hostingRequestFor(owner.q.repo, p.id))
    await waitUntil(async () => JSON.parse((await get(`${relay.httpUrl}/healthz`)).body).documentsHosted >= 4, 20_000, 'the project, grants, chat and file hosted')
    for (const handle of [p.project, p.grants, p.chat, file] as Array<DocHandle<unknown>>) await relayHolds(owner, relay, handle)

    // The owner leaves; the reader gets everything from the relay alone.
    await owner.q.stop()
    await reader.index.track(p.id, { owner: owner.id, provisionalReaders: [relay.info.peerId] })
    await dial(reader, relay)
    await waitUntil(() => reader.index.projectsOf(file.documentId).length === 1, 20_000, 'the reader placing the file in the project')
    const onReader = await reader.q.repo.find<TextDoc>(file.url, { signal: AbortSignal.timeout(20_000) })
    await waitForDoc(onReader, (d) => d.content === 'chapter one')

    // A stranger who knows the ids gets doc-unavailable and no document bytes.
    const frames = await probe(relay, [p.id, file.documentId])
    expect(frames.filter((f) => f.type !== 'doc-unavailable')).toEqual([])
    const metrics = (await get(`${relay.httpUrl}/metrics`)).body
    expect(metricValue(metrics, 'quire_relay_refusals_total{code="RELAY_NOT_A_MEMBER"}')).toBeGreaterThanOrEqual(1)
  })

  it('[RL18] after the relay\'s grant is revoked and the relay told, it stops serving the project', async () => {
    const { relay } = await relayProcess()
    const { owner, p, file } = await ownerWithProject()
    await dial(owner, relay)
    const reader = await member()
    const later = await member()
    await grant(owner, p, reader.id, 'reader')
    await grant(owner, p, later.id, 'reader')
    const relayGrant = await grant(owner, p, relay.info.peerId, 'relay')
    await requestHosting(owner.node, multiaddr(relay.tcpAddress), await hostingRequestFor(owner.q.repo, p.id))
    await reader.index.track(p.id, { owner: owner.id, provisionalReaders: [relay.info.peerId] })
    await dial(reader, relay)
    await waitUntil(() => reader.index.projectsOf(file.documentId).length === 1, 20_000, 'the reader placing the file in the project')
    const onReader = await reader.q.repo.find<TextDoc>(file.url, { signal: AbortSignal.timeout(20_000) })
    await waitForDoc(onReader, (d) => d.content === 'chapter one')

    const revocation = await signRevocation(owner.key, { project: p.id, target: relayGrant })
    p.grants.change((d) => { appendGrantEntries(d, [revocation]) })
    await owner.index.settled()
    // Members stop syncing with the relay; an admin's request is how the relay learns (and it says so).
    await expect(requestHosting(owner.node, multiaddr(relay.tcpAddress), await hostingRequestFor(owner.q.repo, p.id))).rejects.toMatchObject({ code: 'HOST_NOT_GRANTED' })
    await owner.q.stop()
    const refusedBefore = metricValue((await get(`${relay.httpUrl}/metrics`)).body, 'quire_relay_refusals_total{code="RELAY_NOT_GRANTED"}') ?? 0

    // A member who asks the relay now gets nothing of the project.
    await later.index.track(p.id, { owner: owner.id, provisionalReaders: [relay.info.peerId] })
    await dial(later, relay)
    await expect(later.q.repo.find(p.project.url, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow(/unavailable/)
    await waitUntil(async () => (metricValue((await get(`${relay.httpUrl}/metrics`)).body, 'quire_relay_refusals_total{code="RELAY_NOT_GRANTED"}') ?? 0) > refusedBefore, 10_000, 'a RELAY_NOT_GRANTED refusal')
    const frames = await probe(relay, [p.id, file.documentId])
    expect(frames.filter((f) => f.type !== 'doc-unavailable')).toEqual([])
  })

  it('[RL19] a reader\'s changes reaching the relay are dropped and counted; a writer\'s are hosted', async () => {
    const { relay } = await relayProcess()
    const { owner, p, file } = await ownerWithProject()
    await dial(owner, relay)
    const reader = await member()
    await grant(owner, p, reader.id, 'reader')
    await grant(owner, p, relay.info.peerId, 'relay')
    await requestHosting(owner.node, multiaddr(relay.tcpAddress), await hostingRequestFor(owner.q.repo, p.id))
    await reader.index.track(p.id, { owner: owner.id, provisionalReaders: [relay.info.peerId] })
    await dial(reader, relay)
    await waitUntil(() => reader.index.projectsOf(file.documentId).length === 1, 20_000, 'the reader placing the file in the project')
    const onReader = await reader.q.repo.find<TextDoc>(file.url, { signal: AbortSignal.timeout(20_000) })
    await waitForDoc(onReader, (d) => d.content === 'chapter one')
    onReader.change((d) => { d.content = 'vandalised' })
    await waitUntil(async () => (metricValue((await get(`${relay.httpUrl}/metrics`)).body, 'quire_relay_refusals_total{code="ACCESS_CHANGES_DROPPED"}') ?? 0) >= 1, 20_000, 'the relay dropping the reader\'s change')
    file.change((d) => { d.content = 'chapter two' })
    await waitUntil(() => A.hasHeads(onReader.doc(), A.getHeads(file.doc())), 20_000, 'the owner\'s change reaching the reader through the relay')
    await new Promise((r) => setTimeout(r, 300))
    expect(file.doc().content).toBe('chapter two')
  })
})

describe('relay /quire.json', () => {
  it('[RL33] answers the relay\'s peer id, its browser-dialable addresses and the --web-config object', async () => {
    const { dir, remove } = await tempDir('quire-relay-webconfig-')
    cleanups.push(remove)
    const webConfigFile = join(dir, 'web.json')
    const autoGrant = [{ peerId: '12D3KooWGRUVh7fJ7RrHkbxDqWwAtDpvU5DQ8VZRKKPQCvtE3Ex5', role: 'compute' }]
    await writeFile(webConfigFile, JSON.stringify({ autoGrant }))
    const { relay } = await relayProcess(['--web-config', webConfigFile])
    const res = await get(`${relay.httpUrl}/quire.json`)
    expect(res.status).toBe(200)
    expect(res.type).toMatch(/^application\/json/)
    expect((await fetch(`${relay.httpUrl}/quire.json`)).headers.get('access-control-allow-origin')).toBe('*')
    const body = JSON.parse(res.body) as { relay: { peerId: string; addrs: string[] }; autoGrant: unknown }
    expect(body.autoGrant).toEqual(autoGrant)
    expect(body.relay.peerId).toBe(relay.info.peerId)
    const port = new URL(relay.httpUrl).port
    expect(body.relay.addrs).toContain(`/ip4/127.0.0.1/tcp/${port}/ws/p2p/${relay.info.peerId}`)
    expect(body.relay.addrs.every((a) => a.includes('/ws') && a.endsWith(`/p2p/${relay.info.peerId}`))).toBe(true)

    // A browser-like client dials the advertised address over WebSockets.
    const browserLike = await createQuireNode({ role: 'peer', listen: [], allowLoopback: true })
    cleanups.push(async () => { await browserLike.stop() })
    await browserLike.dial(multiaddr(body.relay.addrs[0]!))
    expect(browserLike.getConnections().some((c) => c.remotePeer.toString() === relay.info.peerId)).toBe(true)
  })

  it('[RL2] [RL33] a --web-config that is not a JSON object is refused naming the flag', async () => {
    const { dir, remove } = await tempDir('quire-relay-webconfig-')
    cleanups.push(remove)
    const file = join(dir, 'bad.json')
    await writeFile(file, '[1, 2]')
    const { resolveRelayConfig } = await import('@quire/relay')
    expect(() => resolveRelayConfig(['--web-config', file], {})).toThrow(expect.objectContaining({ code: 'RELAY_CONFIG_INVALID', message: expect.stringContaining('flag --web-config') }))
    await writeFile(file, '{"relay": {}}')
    expect(() => resolveRelayConfig(['--web-config', file], {})).toThrow(expect.objectContaining({ message: expect.stringContaining('must not set "relay"') }))
  })
})
