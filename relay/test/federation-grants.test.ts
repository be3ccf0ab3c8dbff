/**
 * Issue 19, item 2: hosting follows the grants through federation. R1 and R2 host a project; the owner grants
 * a third relay R3 (federated with both) the relay role and goes offline without asking R3 anything: R3 ends
 * up with the whole project, shown it by R1 or R2. Revoked, R3 is sent nothing of the project any more.
 */
import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import type { DocHandle } from '@automerge/automerge-repo'
import { appendGrantEntries, spliceText, type TextDoc } from '@quire/crdt'
import { hostingRequestFor, loadOrCreateIdentity, requestHosting, signRevocation } from '@quire/node'
import { freePort, waitForDoc, waitUntil } from '@quire/node/testing'
import { startRelayProcess, type RelayProcess } from '@quire/relay/testing'
import { get, readStoredDoc, sleep, tempDir } from './helpers.js'
import { grantsFixtures } from './grants-fixtures.js'

const { cleanups, member, dial, grant, ownerWithProject } = grantsFixtures('quire-relay-fed-grants-')

const hosted = async (relay: RelayProcess): Promise<number> => JSON.parse((await get(`${relay.httpUrl}/healthz`)).body).documentsHosted as number

describe('hosting follows the grants through federation', () => {
  it('[RL62] a relay granted the relay role is shown the project by a federated relay that hosts it, with no admin online; revoked, it is sent nothing more', async () => {
    const { dir, remove } = await tempDir('quire-relay-fed-grants-')
    cleanups.push(remove)
    const dirs = [join(dir, 'r1'), join(dir, 'r2'), join(dir, 'r3')]
    const ids: string[] = []
    const ports: number[] = []
    for (const d of dirs) {
      ids.push((await loadOrCreateIdentity(d)).publicKey.toString())
      ports.push(await freePort())
    }
    const addr = (i: number): string => `/ip4/127.0.0.1/tcp/${ports[i]!}/p2p/${ids[i]!}`
    const relays: RelayProcess[] = []
    for (let i = 0; i < 3; i++) {
      const peers = [0, 1, 2].filter((j) => j !== i).flatMap((j) => ['--peer', addr(j)])
      const r = await startRelayProcess(['--data-dir', dirs[i]!, '--listen', `/ip4/127.0.0.1/tcp/${ports[i]!}`, '--listen', '/ip4/127.0.0.1/tcp/0/ws', ...peers])
      cleanups.push(async () => { if (!r.proc.hasExited) await r.proc.stop() })
      relays.push(r)
    }
    const [r1, r2, r3] = relays as [RelayProcess, RelayProcess, RelayProcess]

    const { owner: a, p, file } = await ownerWithProject()
    await grant(a, p, r1.info.peerId, 'relay')
    await grant(a, p, r2.info.peerId, 'relay')
    for (const relay of [r1, r2]) {
      await dial(a, relay)
      await requestHosting(a.node, multiaddr(relay.tcpAddress), await hostingRequestFor(a.q.repo, p.id))
    }
    await waitUntil(async () => (await hosted(r1)) >= 4 && (await hosted(r2)) >= 4, 20_000, 'R1 and R2 hosting the project, grants, chat and file')
    expect(await hosted(r3)).toBe(0)

    // The owner grants R3 and, once R1 holds that grant, goes offline: nobody asks R3 to host anything.
    const r3Grant = await grant(a, p, r3.info.peerId, 'relay')
    const grantsHeads = [...p.grants.heads()].sort().join()
    await waitUntil(() => {
      const storageId = a.q.repo.getStorageIdOfPeer(r1.info.peerId as never)
      const theirs = storageId === undefined ? undefined : p.grants.getSyncInfo(storageId)?.lastHeads
      return theirs !== undefined && [...theirs].sort().join() === grantsHeads
    }, 20_000, 'R1 holding the grant of R3')
    await a.q.stop()
    await a.node.stop()
    await waitUntil(async () => (await hosted(r3)) >= 4, 30_000, 'R3 hosting the whole project, shown it by a federated relay')

    // The owner comes back with the same key on a fresh repo and reads the project from R3 alone.
    const again = await member(a.key)
    await again.index.track(p.id, { owner: a.id, provisionalReaders: [r3.info.peerId] })
    await dial(again, r3)
    await waitUntil(() => again.index.projectsOf(file.documentId).length === 1, 20_000, 'the owner placing the file through R3')
    const onR3 = await again.q.repo.find<TextDoc>(file.url, { signal: AbortSignal.timeout(20_000) })
    await waitForDoc(onR3, (d) => d.content === 'chapter one', 20_000)

    // Revoked: R1 and R2 stop federating the project with R3. The owner revokes through R1, then edits.
    await dial(again, r1)
    const grantsOnAgain = await again.q.repo.find<unknown>(p.grants.url, { signal: AbortSignal.timeout(20_000) })
    const revocation = await signRevocation(a.key, { project: p.id, target: r3Grant })
    grantsOnAgain.change((d) => { appendGrantEntries(d as never, [revocation]) })
    await again.index.settled()
    // The owner no longer syncs with R3 either (its grant is gone): only R1 and R2 could bring it the edit.
    await sleep(3_000)
    ;(onR3 as DocHandle<TextDoc>).change((d) => spliceText(d, 0, 0, 'after revocation: '))
    // The edit reaches R2 through R1 (federation of the granted relays goes on) ...
    await waitUntil(async () => {
      const probe = await member(a.key)
      try {
        await probe.index.track(p.id, { owner: a.id, provisionalReaders: [r2.info.peerId] })
        await dial(probe, r2)
        const h = await probe.q.repo.find<TextDoc>(file.url, { signal: AbortSignal.timeout(5_000) })
        return h.doc().content.startsWith('after revocation: ')
      } catch {
        return false
      }
    }, 30_000, 'the edit reaching R2')
    // ... and never R3.
    await sleep(3_000)
    await r3.proc.stop()
    const stored = await readStoredDoc<TextDoc>(dirs[2]!, file.url)
    expect(stored?.content).toBe('chapter one')
  }, 180_000)
})
