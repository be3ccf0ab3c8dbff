// @vitest-environment node
/**
 * Projects through the app's own state classes, between Node sessions and a real relay process: create
 * (with the relay's auto-grant), the list across restarts, joining by invite through the relay, opening a
 * project (membership, roles, sync status), and the errors a person can meet, said plainly.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DocumentId } from '@automerge/automerge-repo'
import { AccessError, createInvite } from '@quire/node'
import { readProject } from '@quire/crdt'
import { PeerConnector } from '../../src/lib/connection/peer-connector.js'
import { WebAppError } from '../../src/lib/peer/errors.js'
import type { Session } from '../../src/lib/peer/session.svelte.js'
import { joinByInvite, readInvite } from '../../src/lib/projects/join.js'
import { OpenProject } from '../../src/lib/projects/open-project.svelte.js'
import { ProjectList } from '../../src/lib/projects/project-list.svelte.js'
import { RelayHosting } from '../../src/lib/projects/relay-hosting.svelte.js'
import { freePort, startRelay, type RelayHandle } from '../e2e/harness.js'
import { bootstrapOf, memoryProfile, startSession, stopSessions, waitFor } from './helpers.js'

let dir: string
let relay: RelayHandle
let relayTcp: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quire-web-state-'))
  relay = await startRelay(join(dir, 'relay'), { tcp: await freePort(), ws: await freePort() })
  relayTcp = relay.addresses.find((a) => !a.includes('/ws'))!
})
afterAll(async () => {
  await relay?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})
afterEach(stopSessions)

async function online(session: Session): Promise<Session> {
  await waitFor('the relay connection', () => session.node.getConnections().some((c) => c.remotePeer.toString() === relay.peerId))
  return session
}

async function invite(owner: Session, project: DocumentId, options: { uses?: number; expires?: number; issued?: number } = {}): Promise<string> {
  const { token } = await createInvite(owner.key, {
    project, owner: owner.peerId, role: 'writer', uses: options.uses ?? 1, expires: options.expires ?? Date.now() + 60_000,
    ...(options.issued !== undefined && { issued: options.issued }),
  })
  return token
}

describe('projects', () => {
  it('creates a project owned by this browser, grants the auto-grant roles, has the relay host it, and lists it after a restart', async () => {
    const profile = await memoryProfile()
    const compute = (await memoryProfile()).key.publicKey.toString()
    const bootstrap = bootstrapOf([relayTcp], [{ peerId: relay.peerId, role: 'relay' }, { peerId: compute, role: 'compute' }])
    const a = await online(await startSession(profile, bootstrap))
    const list = new ProjectList(a)
    await list.load()
    const hosting = new RelayHosting(a, () => list.entries.map((e) => e.id))
    list.onCreated = (created) => hosting.ensure(created)
    const id = await list.create('  Thesis ')
    // The relay (default policy: hosting by grants) accepts to keep a copy, since the grants name it.
    await waitFor('the relay to host the project', () => hosting.state(id, relay.peerId)?.state === 'hosted')
    expect(list.entries.map((e) => [e.id, e.name, e.via])).toEqual([[id, 'Thesis', 'created']])
    const membership = await a.index.membership(id, Date.now())
    expect(membership?.owner).toBe(a.peerId)
    expect(membership?.members.get(relay.peerId)?.roles).toEqual(['relay'])
    expect(membership?.members.get(compute)?.roles).toEqual(['compute'])
    expect(membership?.members.get(a.peerId)?.roles).toEqual(['admin'])
    await a.stop()

    const again = await startSession(profile, bootstrap)
    const reloaded = new ProjectList(again)
    await reloaded.load()
    expect(reloaded.entries.map((e) => e.id)).toEqual([id])
    expect(again.index.ownerOf(id)).toBe(again.peerId)
    const handle = await again.repo.find(id)
    const read = readProject(handle.doc())
    expect(read.ok && read.value.name).toBe('Thesis')
    expect(read.ok && read.value.settings).toEqual({ computePeer: compute, pinnedRelays: [relay.peerId], networkAccess: false })

    const grants = again.index.grantsOf(id)!
    expect(await again.repo.storageSubsystem?.loadDoc(grants)).not.toBeNull()
    await reloaded.leave(id)
    expect(reloaded.entries).toEqual([])
    await again.stop()

    // The documents are deleted at the next start, before anything loads them.
    const after = await startSession(profile, bootstrap)
    const third = new ProjectList(after)
    await third.load()
    expect(third.entries).toEqual([])
    expect(await after.repo.storageSubsystem?.loadDoc(id)).toBeNull()
    expect(await after.repo.storageSubsystem?.loadDoc(grants)).toBeNull()
  })

  it('joins by invite through the relay; the opened project shows membership, roles and sync status', async () => {
    const a = await online(await startSession(await memoryProfile(), bootstrapOf([relayTcp])))
    const b = await online(await startSession(await memoryProfile(), bootstrapOf([relayTcp])))
    const listA = new ProjectList(a)
    const listB = new ProjectList(b)
    await Promise.all([listA.load(), listB.load()])
    const id = await listA.create('Shared')
    const token = await invite(a, id)
    expect((await readInvite(token)).role).toBe('writer')

    await expect(joinByInvite(b, listB, token)).resolves.toBe(id)
    expect(listB.get(id)?.via).toBe('invite')
    // Joining twice is harmless: the project is already in the list.
    await expect(joinByInvite(b, listB, token)).resolves.toBe(id)

    const connectorB = new PeerConnector(b.node, () => b.bootstrap.relays)
    const opened = new OpenProject(b, connectorB, id)
    let name = ''
    opened.onName = (n) => { name = n }
    await opened.open()
    try {
      await waitFor('the project to arrive from A', () => opened.phase === 'ready' && opened.project?.name === 'Shared')
      await waitFor('B\'s membership', () => opened.membership?.members.get(b.peerId))
      expect(opened.myRoles).toEqual(['writer'])
      expect(opened.canWrite).toBe(true)
      expect(opened.canAdmin).toBe(false)
      await waitFor('the name reported to the list', () => name === 'Shared')
      await waitFor('an up-to-date sync status', () => opened.sync.state === 'up-to-date')

      // A (the owner) removes B: B's grant is revoked and A no longer serves B the project.
      const openedA = new OpenProject(a, new PeerConnector(a.node, () => a.bootstrap.relays), id)
      await openedA.open()
      try {
        await waitFor('A\'s membership with B', () => openedA.membership?.members.get(b.peerId))
        await expect(openedA.removeMember(a.peerId)).rejects.toThrow(/owner of a project cannot be removed/)
        await openedA.removeMember(b.peerId)
        await waitFor('B gone from A\'s membership', () => openedA.membership !== undefined && !openedA.membership.members.has(b.peerId))
        expect(await a.index.canRead(id, b.peerId, Date.now())).toBe(false)
      } finally {
        openedA.close()
      }
    } finally {
      opened.close()
    }
  })

  it('says plainly what went wrong with an invite: used up, expired, nobody online to accept it, no relay', async () => {
    const a = await online(await startSession(await memoryProfile(), bootstrapOf([relayTcp])))
    const listA = new ProjectList(a)
    await listA.load()
    const id = await listA.create('Private')
    const once = await invite(a, id, { uses: 1 })
    const spare = await invite(a, id, { uses: 5 })
    const expired = await invite(a, id, { issued: Date.now() - 10_000, expires: Date.now() - 5_000 })

    const join = async (token: string, relays = [relayTcp]): Promise<unknown> => {
      const s = relays.length > 0 ? await online(await startSession(await memoryProfile(), bootstrapOf(relays))) : await startSession(await memoryProfile(), bootstrapOf([]))
      const list = new ProjectList(s)
      await list.load()
      return joinByInvite(s, list, token).then(() => undefined, (err: unknown) => err)
    }

    expect(await join(once)).toBeUndefined()
    const usedUp = await join(once)
    expect(usedUp).toBeInstanceOf(AccessError)
    expect((usedUp as AccessError).code).toBe('INVITE_USED_UP')
    expect((usedUp as AccessError).message).toMatch(/ask a project admin for a new invite/)

    const late = await join(expired)
    expect((late as AccessError).code).toBe('INVITE_EXPIRED')
    expect((late as AccessError).message).toMatch(/ask a project admin for a new one/)

    const noRelay = await join(spare, [])
    expect((noRelay as WebAppError).code).toBe('NO_RELAY')

    await a.stop()
    const offline = await join(spare)
    expect(offline).toBeInstanceOf(WebAppError)
    expect((offline as WebAppError).code).toBe('INVITER_OFFLINE')
    expect((offline as WebAppError).message).toMatch(/ask the person who invited you to open the project/)
  })
})
