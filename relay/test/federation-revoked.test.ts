/**
 * Issue 19, item 1: two federated relays host a project by grants; the owner revokes one relay's grant and
 * tells it. Before the fix the two relays (and the members' peers) traded refusals thousands of times a
 * second forever, at idle. A refused request must not be asked again at once.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import type { DocHandle } from '@automerge/automerge-repo'
import { appendGrantEntries, spliceText, type TextDoc } from '@quire/crdt'
import { canHost, hostingRequestFor, loadOrCreateIdentity, requestHosting, signRevocation } from '@quire/node'
import { freePort, waitForDoc, waitUntil } from '@quire/node/testing'
import { startRelayProcess, type RelayProcess } from '@quire/relay/testing'
import { get, sleep, tempDir } from './helpers.js'
import { grantsFixtures } from './grants-fixtures.js'

const { cleanups, member, dial, grant, ownerWithProject } = grantsFixtures('quire-relay-fed-revoked-')

/** Every refusal a relay counted so far, whatever its code. */
async function refusals(relay: RelayProcess): Promise<number> {
  const body = (await get(`${relay.httpUrl}/metrics`)).body
  let total = 0
  for (const line of body.split('\n')) if (line.startsWith('quire_relay_refusals_total{')) total += Number(line.slice(line.lastIndexOf(' ') + 1))
  return total
}

describe('federated relays after one relay\'s grant is revoked', () => {
  it('[RL61] stop asking each other (and the members stop asking the revoked relay): refusals fall to near zero at idle, and members keep converging through the other relay', async () => {
    const { dir, remove } = await tempDir('quire-relay-fed-revoked-')
    cleanups.push(remove)
    const [dir1, dir2] = [join(dir, 'r1'), join(dir, 'r2')]
    const id1 = (await loadOrCreateIdentity(dir1)).publicKey.toString()
    const id2 = (await loadOrCreateIdentity(dir2)).publicKey.toString()
    const [port1, port2] = [await freePort(), await freePort()]
    const start = (d: string, port: number, peer: string): Promise<RelayProcess> =>
      startRelayProcess(['--data-dir', d, '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--peer', peer])
    const r1 = await start(dir1, port1, `/ip4/127.0.0.1/tcp/${port2}/p2p/${id2}`)
    cleanups.push(async () => { await r1.proc.stop() })
    const r2 = await start(dir2, port2, `/ip4/127.0.0.1/tcp/${port1}/p2p/${id1}`)
    cleanups.push(async () => { await r2.proc.stop() })

    const { owner: a, p, file } = await ownerWithProject()
    const b = await member()
    await grant(a, p, b.id, 'writer')
    await grant(a, p, r1.info.peerId, 'relay')
    const r2Grant = await grant(a, p, r2.info.peerId, 'relay')
    for (const relay of [r1, r2]) {
      await dial(a, relay)
      await requestHosting(a.node, multiaddr(relay.tcpAddress), await hostingRequestFor(a.q.repo, p.id))
    }
    await b.index.track(p.id, { owner: a.id, provisionalReaders: [r1.info.peerId, r2.info.peerId] })
    for (const relay of [r1, r2]) await dial(b, relay)
    await waitUntil(() => b.index.projectsOf(file.documentId).length === 1, 20_000, 'B placing the file in the project')
    const onB = await b.q.repo.find<TextDoc>(file.url, { signal: AbortSignal.timeout(20_000) })
    await waitForDoc(onB, (d) => d.content === 'chapter one', 20_000)

    // The owner revokes R2's relay grant and tells R2.
    const revocation = await signRevocation(a.key, { project: p.id, target: r2Grant })
    p.grants.change((d) => { appendGrantEntries(d, [revocation]) })
    await a.index.settled()
    await expect(requestHosting(a.node, multiaddr(r2.tcpAddress), await hostingRequestFor(a.q.repo, p.id))).rejects.toMatchObject({ code: 'HOST_NOT_GRANTED' })
    await waitUntil(async () => {
      const m = await b.index.membership(p.id, Date.now())
      return m !== undefined && !canHost(m, r2.info.peerId)
    }, 20_000, 'B seeing the revocation')

    // Within 10 s of the revocation, with nobody editing, the refusals stop (they came by the thousand a
    // second). Counted over 5 s: a few stragglers at most.
    await sleep(10_000)
    const before = [await refusals(r1), await refusals(r2)]
    await sleep(5_000)
    const after = [await refusals(r1), await refusals(r2)]
    const counted = { r1: after[0]! - before[0]!, r2: after[1]! - before[1]! }
    console.log(`refusals in 5 s at idle after the revocation: ${JSON.stringify(counted)} (totals ${JSON.stringify(after)})`)
    expect(counted.r1).toBeLessThanOrEqual(10)
    expect(counted.r2).toBeLessThanOrEqual(10)

    // A and B keep converging through R1.
    file.change((d) => spliceText(d, 0, 0, 'A: '))
    await waitForDoc(onB, (d) => d.content.startsWith('A: '), 20_000)
    onB.change((d) => spliceText(d, d.content.length, 0, ' (B)'))
    await waitForDoc(file as DocHandle<TextDoc>, (d) => d.content.endsWith(' (B)'), 20_000)
  }, 120_000)
})
