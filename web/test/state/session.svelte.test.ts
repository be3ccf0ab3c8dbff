// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest'
import { WebAppError } from '../../src/lib/peer/errors.js'
import { bootstrapOf, memoryProfile, startSession, stopSessions } from './helpers.js'
import { Session } from '../../src/lib/peer/session.svelte.js'

afterEach(stopSessions)

describe('Session', () => {
  it('starts without any relay, with a default profile that edits persist across a restart, as do names of peers met', async () => {
    const profile = await memoryProfile()
    const first = await startSession(profile, bootstrapOf([]))
    expect(first.phase).toBe('ready')
    const peerId = first.peerId
    expect(peerId).toBe(first.node.peerId.toString())
    expect(first.profile.name).toBe(`Guest ${peerId.slice(-4)}`)
    expect(first.profile.color).toMatch(/^#[0-9a-f]{6}$/)
    first.people.remember('12D3KooWQ3FoNQeYvD2JdLQkppEax4Ld8Scv4zaFiKULrfFPhz7J', { name: 'Bo', color: 'javascript:alert(1)' })
    await first.profile.update({ name: '  Ada  ', color: '#16a34a' })
    await first.profile.update({ name: '   ', color: 'red; background: url(x)' })
    expect(first.profile.data).toEqual({ name: 'Ada', color: '#16a34a' })
    await first.stop()

    const second = await startSession(profile, bootstrapOf([]))
    expect(second.peerId).toBe(peerId)
    expect(second.profile.data).toEqual({ name: 'Ada', color: '#16a34a' })
    // Names of peers met are remembered (their claimed colour cleaned up) across the restart too.
    const bo = second.people.get('12D3KooWQ3FoNQeYvD2JdLQkppEax4Ld8Scv4zaFiKULrfFPhz7J')
    expect(bo?.name).toBe('Bo')
    expect(bo?.color).toMatch(/^#[0-9a-f]{6}$/)
  })

  it('says plainly why it could not start, and refuses use until ready', async () => {
    const profile = await memoryProfile()
    const session = new Session({
      platform: { ...profile.platform, openDatabase: () => Promise.reject(new WebAppError('STORAGE_UNAVAILABLE', 'This browser refused to store data: allow site data and reload.')) },
      bootstrap: bootstrapOf([]),
    })
    await session.start()
    expect(session.phase).toBe('failed')
    expect(session.error).toBe('This browser refused to store data: allow site data and reload.')
    expect(() => session.repo).toThrow(/not ready/)
  })

  it('works offline on request: the node stops, documents stay editable, and it starts again', async () => {
    const session = await startSession(await memoryProfile(), bootstrapOf([]))
    const handle = session.repo.create<{ n: number }>({ n: 1 })
    await session.setOnline(false)
    expect(session.online).toBe(false)
    expect(session.node.status).toBe('stopped')
    handle.change((d) => { d.n = 2 })
    expect(handle.doc().n).toBe(2)
    await session.setOnline(true)
    expect(session.node.status).toBe('started')
  })
})
