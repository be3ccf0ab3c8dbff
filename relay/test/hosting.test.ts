import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { next as A } from '@automerge/automerge'
import type { AutomergeUrl, DocumentId } from '@automerge/automerge-repo'
import { createProject, addFile, type ProjectDoc } from '@quire/crdt'
import { createQuireNode, type QuireNode } from '@quire/node'
import { RawSyncStream, waitForDoc, waitUntil } from '@quire/node/testing'
import type { RelayProcess } from '@quire/relay/testing'
import { get, metricValue } from './helpers.js'
import { relayFixtures } from './fixtures.js'

const { cleanups, client, relayWith } = relayFixtures('quire-relay-hosting-')

/** A raw sync stream to the relay process, speaking frames by hand. */
async function rawStream(from: QuireNode, relay: RelayProcess): Promise<RawSyncStream> {
  const target = { getMultiaddrs: () => [multiaddr(relay.tcpAddress)] } as unknown as QuireNode
  const raw = await RawSyncStream.open(from, target)
  raw.sendHello(from)
  return raw
}

function request(raw: RawSyncStream, from: QuireNode, relay: RelayProcess, documentId: string): void {
  const [, data] = A.generateSyncMessage(A.init(), A.initSyncState())
  raw.sendFrame({ type: 'request', senderId: from.peerId.toString(), targetId: relay.info.peerId, documentId, data })
}

const idOf = (url: string): DocumentId => url.slice('automerge:'.length) as DocumentId

describe('relay hosting policy', () => {
  it('[RL10] [RL11] allowlist: a listed document is hosted and served; another gets doc-unavailable and no document bytes', async () => {
    const writer = await client()
    const hosted = writer.q.repo.create({ secret: 'hosted' })
    const other = writer.q.repo.create({ secret: 'not hosted' })
    const relay = await relayWith(['--allow', hosted.url])
    await writer.dial(relay.tcpAddress)

    const reader = await client()
    await reader.dial(relay.tcpAddress)
    const found = await reader.q.repo.find<{ secret: string }>(hosted.url, { signal: AbortSignal.timeout(20_000) })
    await waitForDoc(found, (d) => d.secret === 'hosted')
    await expect(reader.q.repo.find(other.url, { signal: AbortSignal.timeout(20_000) })).rejects.toThrow(/unavailable/)

    // Byte-level: a request for the other document gets doc-unavailable and not one sync frame for it.
    // A bare node (no repo, whose own sync stream would replace this one).
    const prober = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
    cleanups.push(async () => { await prober.stop() })
    const raw = await rawStream(prober, relay)
    request(raw, prober, relay, idOf(other.url))
    await raw.waitForFrame((f) => f.type === 'doc-unavailable' && f.documentId === idOf(other.url), 10_000)
    request(raw, prober, relay, idOf(hosted.url)) // control: the hosted one is served on the same stream
    await raw.waitForFrame((f) => f.type === 'sync' && f.documentId === idOf(hosted.url), 10_000)
    const leaked = raw.frames.filter((f) => (f as { documentId?: string }).documentId === idOf(other.url) && (f as { type: string }).type !== 'doc-unavailable')
    expect(leaked).toEqual([])
    // [RL11] the relay announced nothing: every document frame it sent answers a document the prober named.
    const named = new Set([idOf(other.url), idOf(hosted.url)])
    expect(raw.frames.every((f) => (f as { documentId?: string }).documentId === undefined || named.has((f as { documentId: DocumentId }).documentId))).toBe(true)
    const metrics = (await get(`${relay.httpUrl}/metrics`)).body
    expect(metricValue(metrics, 'quire_relay_refusals_total{code="RELAY_NOT_HOSTED"}')).toBeGreaterThanOrEqual(1)
  })

  it('[RL14] allowlist by project: the project document and the documents it links are hosted', async () => {
    const writer = await client()
    const text = writer.q.repo.create({ content: 'linked file' })
    const project = writer.q.repo.import<ProjectDoc>(A.save(createProject({ name: 'p', owner: writer.node.peerId.toString() })))
    project.change((d) => { addFile(d, { path: 'a.txt', kind: 'text', url: text.url }) })
    const unrelated = writer.q.repo.create({ content: 'unrelated' })
    const relay = await relayWith(['--allow-project', project.url])
    await writer.dial(relay.tcpAddress)
    // The relay learns the link once it has the project, then fetches the linked file from the writer.
    await waitUntil(async () => JSON.parse((await get(`${relay.httpUrl}/healthz`)).body).documentsHosted >= 2, 30_000, 'the project and its file hosted')
    const reader = await client()
    await reader.dial(relay.tcpAddress)
    const file = await reader.q.repo.find<{ content: string }>(text.url as AutomergeUrl, { signal: AbortSignal.timeout(20_000) })
    await waitForDoc(file, (d) => d.content === 'linked file')
    await expect(reader.q.repo.find(unrelated.url, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow(/unavailable/)
  })

  it('[RL12] [RL13] open hosting: past its document or byte quota a peer is refused with a code, logged and counted', async () => {
    const relay = await relayWith(['--hosting', 'open', '--max-docs-per-peer', '1', '--max-bytes-per-peer', '4000'])
    const writer = await client()
    await writer.dial(relay.tcpAddress)
    const first = writer.q.repo.create({ n: 1 })
    await waitUntil(async () => JSON.parse((await get(`${relay.httpUrl}/healthz`)).body).documentsHosted === 1, 20_000, 'the first document hosted')
    writer.q.repo.create({ n: 2 })
    await waitUntil(async () => metricValue((await get(`${relay.httpUrl}/metrics`)).body, 'quire_relay_refusals_total{code="RELAY_QUOTA_DOCUMENTS"}') !== undefined, 20_000, 'a document quota refusal')
    // Random bytes: Automerge compresses its changes, so a repeated character would stay small.
    first.change((d) => { (d as Record<string, unknown>).big = randomBytes(6000).toString('base64') })
    await waitUntil(async () => metricValue((await get(`${relay.httpUrl}/metrics`)).body, 'quire_relay_refusals_total{code="RELAY_QUOTA_BYTES"}') !== undefined, 20_000, 'a byte quota refusal')
    expect(JSON.parse((await get(`${relay.httpUrl}/healthz`)).body).documentsHosted).toBe(1)
  })
})
