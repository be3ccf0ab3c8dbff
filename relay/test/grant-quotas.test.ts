import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { DocHandle } from '@automerge/automerge-repo'
import { addFile, createText, type TextDoc } from '@quire/crdt'
import { hostingRequestFor, requestHosting, type CreatedProject } from '@quire/node'
import { waitUntil } from '@quire/node/testing'
import type { RelayProcess } from '@quire/relay/testing'
import { get, readStoredDoc, sleep } from './helpers.js'
import { grantsFixtures, type Member } from './grants-fixtures.js'

const { member, dial, relayProcess, grant, ownerWithProject, metric } = grantsFixtures('quire-relay-quotas-')

/** Bytes of random text per change: Automerge compresses changes, and random base64 stays about this big. */
const CHANGE_TEXT = 20_000

async function host(owner: Member, p: CreatedProject, relay: RelayProcess): Promise<void> {
  await grant(owner, p, relay.info.peerId, 'relay')
  await requestHosting(owner.node, multiaddr(relay.tcpAddress), await hostingRequestFor(owner.q.repo, p.id))
}

const refusals = (relay: RelayProcess, code: string): Promise<number> => metric(relay, `quire_relay_refusals_total{code="${code}"}`)

async function addFiles(owner: Member, p: CreatedProject, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++) {
    const f = owner.q.repo.create<TextDoc>(createText(`extra ${i}`))
    p.project.change((d) => { addFile(d, { path: `extra-${i}.tex`, kind: 'text', url: f.url }) })
  }
  await owner.index.settled()
}

/**
 * Writes `n` changes of random text to `file` (a scalar field: its bytes are the change's bytes), a few
 * hundred ms apart so that most travel in messages of their own (batched ones are refused whole, also fine).
 */
async function writeBig(file: DocHandle<TextDoc>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    file.change((d) => { (d as unknown as Record<string, unknown>)[`blob${i}`] = randomBytes(CHANGE_TEXT * 3 / 4).toString('base64') })
    await sleep(300)
  }
}

/** Whether the relay acknowledged `handle`'s current heads to `m` (automerge-repo's view of the relay). */
function relayHas(m: Member, relay: RelayProcess, handle: DocHandle<unknown>): boolean {
  const storageId = m.q.repo.getStorageIdOfPeer(relay.info.peerId as never)
  const theirs = storageId === undefined ? undefined : handle.getSyncInfo(storageId)?.lastHeads
  return theirs !== undefined && [...theirs].sort().join() === [...handle.heads()].sort().join()
}

describe('relay quotas of hosting by grants', () => {
  it('[RL24] [RL26] [RL27] a fresh identity\'s project past its document and byte quotas gets RELAY_QUOTA_PROJECT; the relay stays up, another project is unaffected, nothing stored is lost after a restart', async () => {
    const projectBytes = 100_000
    const args = ['--max-docs-per-project', '5', '--max-bytes-per-project', String(projectBytes)]
    const { relay, dir } = await relayProcess(args)
    const { owner, p, file } = await ownerWithProject()
    await dial(owner, relay)
    await host(owner, p, relay)
    // The project, grants, chat and file: four documents of five.
    await waitUntil(async () => await metric(relay, 'quire_relay_grant_documents') >= 4, 20_000, 'the project\'s four documents charged')
    await waitUntil(() => relayHas(owner, relay, file as DocHandle<unknown>), 20_000, 'the relay holding the file')

    // Three more files: room for one.
    await addFiles(owner, p, 3)
    await waitUntil(async () => await refusals(relay, 'RELAY_QUOTA_PROJECT') >= 1, 20_000, 'a document refused by the project quota')
    await sleep(1000)
    expect(await metric(relay, 'quire_relay_grant_documents')).toBe(5)
    expect(await metric(relay, 'quire_relay_grant_projects_near_quota')).toBe(1)

    // Ten changes of 15 to 20 KB each into a hosted file: past 100 KB they are refused.
    const refusedBefore = await refusals(relay, 'RELAY_QUOTA_PROJECT')
    await writeBig(file, 10)
    await waitUntil(async () => await refusals(relay, 'RELAY_QUOTA_PROJECT') > refusedBefore, 20_000, 'changes refused')
    await sleep(1500)
    expect(await metric(relay, 'quire_relay_grant_bytes')).toBeLessThanOrEqual(projectBytes)
    expect(relayHas(owner, relay, file as DocHandle<unknown>)).toBe(false)

    // The relay is up, and another owner's project is hosted and synced as usual.
    expect((await get(`${relay.httpUrl}/healthz`)).status).toBe(200)
    const other = await ownerWithProject()
    await dial(other.owner, relay)
    await host(other.owner, other.p, relay)
    await waitUntil(() => relayHas(other.owner, relay, other.file as DocHandle<unknown>), 20_000, 'the other project\'s file on the relay')
    other.file.change((d) => { d.content = 'chapter two' })
    await waitUntil(() => relayHas(other.owner, relay, other.file as DocHandle<unknown>), 20_000, 'the other project\'s edit on the relay')

    // A restart keeps what was stored and what was charged, and the quota with it.
    await waitUntil(async () => await metric(relay, 'quire_relay_grant_documents') === 9, 20_000, 'the other project\'s four documents charged')
    const documents = await metric(relay, 'quire_relay_grant_documents')
    const bytes = await metric(relay, 'quire_relay_grant_bytes')
    expect(bytes).toBeGreaterThan(0)
    await relay.proc.stop()
    expect((await readStoredDoc<TextDoc>(dir, file.url))?.content).toBe('chapter one')
    expect((await readStoredDoc<TextDoc>(dir, other.file.url))?.content).toBe('chapter two')
    const again = (await relayProcess(args, dir)).relay
    expect(await metric(again, 'quire_relay_grant_documents')).toBe(documents)
    expect(await metric(again, 'quire_relay_grant_bytes')).toBeGreaterThanOrEqual(bytes)
    await dial(owner, again)
    await addFiles(owner, p, 1, 3)
    await waitUntil(async () => await refusals(again, 'RELAY_QUOTA_PROJECT') >= 1, 20_000, 'the project quota still full after the restart')
    expect(await metric(again, 'quire_relay_grant_documents')).toBe(documents)
  })

  it('[RL24] [A33] past the per-owner document quota a second project is cut short and a third refused at the request (RELAY_QUOTA_OWNER); past its byte quota changes are refused', async () => {
    const ownerBytes = 100_000
    const { relay } = await relayProcess(['--max-docs-per-owner', '7', '--max-bytes-per-owner', String(ownerBytes)])
    const first = await ownerWithProject()
    const owner = first.owner
    await dial(owner, relay)
    await host(owner, first.p, relay)
    await waitUntil(async () => await metric(relay, 'quire_relay_grant_documents') >= 4, 20_000, 'the first project charged')

    // The second project fits with its project and grants documents (6 of 7); its chat or its file does not.
    const second = await ownerWithProject(owner)
    await host(owner, second.p, relay)
    await waitUntil(async () => await refusals(relay, 'RELAY_QUOTA_OWNER') >= 1, 20_000, 'a document refused by the owner quota')
    await sleep(1000)
    expect(await metric(relay, 'quire_relay_grant_documents')).toBe(7)
    const third = await ownerWithProject(owner)
    await grant(owner, third.p, relay.info.peerId, 'relay')
    await expect(requestHosting(owner.node, multiaddr(relay.tcpAddress), await hostingRequestFor(owner.q.repo, third.p.id)))
      .rejects.toMatchObject({ code: 'RELAY_QUOTA_OWNER', message: expect.stringContaining('per owner') })

    const refusedBefore = await refusals(relay, 'RELAY_QUOTA_OWNER')
    await writeBig(first.file, 10)
    await waitUntil(async () => await refusals(relay, 'RELAY_QUOTA_OWNER') > refusedBefore, 20_000, 'changes refused')
    await sleep(1500)
    expect(await metric(relay, 'quire_relay_grant_bytes')).toBeLessThanOrEqual(ownerBytes)
    expect(relayHas(owner, relay, first.file as DocHandle<unknown>)).toBe(false)
    expect(await metric(relay, 'quire_relay_grant_owners_near_quota')).toBe(1)

    // Another owner is unaffected.
    const other = await ownerWithProject()
    await dial(other.owner, relay)
    await host(other.owner, other.p, relay)
    await waitUntil(() => relayHas(other.owner, relay, other.file as DocHandle<unknown>), 20_000, 'the other owner\'s file on the relay')
    expect((await get(`${relay.httpUrl}/healthz`)).status).toBe(200)
  })

  it('[RL25] with an owner allowlist, other owners\' hosting requests are refused (RELAY_OWNER_NOT_ALLOWED) and nothing of theirs is stored', async () => {
    const listedKey = await generateKeyPair('Ed25519')
    const { relay } = await relayProcess(['--allow-owner', peerIdFromPrivateKey(listedKey).toString()])
    const listed = await ownerWithProject(await member(listedKey))
    await dial(listed.owner, relay)
    await host(listed.owner, listed.p, relay)
    await waitUntil(() => relayHas(listed.owner, relay, listed.file as DocHandle<unknown>), 20_000, 'the listed owner\'s file on the relay')
    const hosted = await metric(relay, 'quire_relay_grant_documents')

    const stranger = await ownerWithProject()
    await dial(stranger.owner, relay)
    await grant(stranger.owner, stranger.p, relay.info.peerId, 'relay')
    await expect(requestHosting(stranger.owner.node, multiaddr(relay.tcpAddress), await hostingRequestFor(stranger.owner.q.repo, stranger.p.id)))
      .rejects.toMatchObject({ code: 'RELAY_OWNER_NOT_ALLOWED' })
    expect(await refusals(relay, 'RELAY_OWNER_NOT_ALLOWED')).toBeGreaterThanOrEqual(1)
    expect(await metric(relay, 'quire_relay_grant_projects')).toBe(1)
    expect(await metric(relay, 'quire_relay_grant_documents')).toBe(hosted)
    expect(await metric(relay, 'quire_relay_grant_quota{quota="allowlisted_owners"}')).toBe(1)
  })

  it('[RL25] without an allowlist, the cap on bytes of unlisted owners refuses changes past it (RELAY_QUOTA_UNLISTED)', async () => {
    const cap = 100_000
    const { relay } = await relayProcess(['--max-bytes-unlisted', String(cap)])
    const { owner, p, file } = await ownerWithProject()
    await dial(owner, relay)
    await host(owner, p, relay)
    await waitUntil(() => relayHas(owner, relay, file as DocHandle<unknown>), 20_000, 'the file on the relay')
    await writeBig(file, 10)
    await waitUntil(async () => await refusals(relay, 'RELAY_QUOTA_UNLISTED') >= 1, 30_000, 'a change refused by the cap')
    expect(await metric(relay, 'quire_relay_grant_unlisted_bytes')).toBeLessThanOrEqual(cap)
  })
})
