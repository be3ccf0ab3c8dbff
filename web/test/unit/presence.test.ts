import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { PresenceTracker } from '../../src/lib/presence/presence-tracker.js'
import { Hub } from './helpers/presence-hub.js'
import { TestNetwork } from '@quire/crdt/testing'
import { ProjectPresence } from '../../src/lib/presence/project-presence.svelte.js'
import { readPresenceMessage } from '../../src/lib/presence/presence-protocol.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

const alice = { peerId: '12D3KooWAlice', name: 'Alice', color: '#ff0000' }
const bob = { peerId: '12D3KooWBob', name: 'Bob', color: '#0000ff' }

describe('PresenceTracker', () => {
  it('shares state both ways as soon as two peers start, and follows cursor and file changes', () => {
    const hub = new Hub()
    const a = new PresenceTracker(hub.channel('repo-a'), alice)
    const b = new PresenceTracker(hub.channel('repo-b'), bob)
    a.start()
    b.start()
    // Alice announced herself before Bob listened; Bob's announcement reached her and she answered at once.
    expect(a.peers().map((p) => p.name)).toEqual(['Bob'])
    expect(b.peers().map((p) => p.name)).toEqual(['Alice'])
    a.setActivity({ fileId: 'file-1', cursor: { anchor: 3, head: 7 } })
    expect(b.peers()[0]).toMatchObject({ peerId: alice.peerId, senderId: 'repo-a', fileId: 'file-1', cursor: { anchor: 3, head: 7 } })
    a.setActivity({ fileId: 'file-2' })
    expect(b.peers()[0]!.fileId).toBe('file-2')
    expect(b.peers()[0]!.cursor).toBeUndefined()
  })

  it('forgets a peer after 30 s of silence, but not while its heartbeats arrive', () => {
    const hub = new Hub()
    const a = new PresenceTracker(hub.channel('repo-a'), alice)
    const b = new PresenceTracker(hub.channel('repo-b'), bob)
    a.start()
    b.start()
    vi.advanceTimersByTime(120_000)
    expect(b.peers()).toHaveLength(1)
    // Alice's tab freezes: no goodbye, no heartbeats.
    hub.muted.add('repo-a')
    vi.advanceTimersByTime(29_000)
    expect(b.peers()).toHaveLength(1)
    vi.advanceTimersByTime(12_000)
    expect(b.peers()).toHaveLength(0)
    // Alice kept sending heartbeats; none arrived.
    expect(hub.sent.filter((m) => m.from === 'repo-a').length).toBeGreaterThan(12)
  })

  it('forgets a peer at once on goodbye, and stop() clears its own timers', () => {
    const hub = new Hub()
    const a = new PresenceTracker(hub.channel('repo-a'), alice)
    const b = new PresenceTracker(hub.channel('repo-b'), bob)
    a.start()
    b.start()
    a.stop()
    expect(b.peers()).toHaveLength(0)
    const fromA = (): number => hub.sent.filter((m) => m.from === 'repo-a').length
    const atStop = fromA()
    vi.advanceTimersByTime(60_000)
    expect(fromA()).toBe(atStop)
    expect(hub.sent.filter((m) => m.from === 'repo-b').length).toBeGreaterThan(3)
  })

  it('shows typing for a few seconds after the last keystroke', () => {
    const hub = new Hub()
    const a = new PresenceTracker(hub.channel('repo-a'), alice)
    const b = new PresenceTracker(hub.channel('repo-b'), bob)
    a.start()
    b.start()
    a.noteTyping()
    expect(b.peers()[0]!.typing).toBe(true)
    vi.advanceTimersByTime(2000)
    a.noteTyping()
    vi.advanceTimersByTime(2000)
    expect(b.peers()[0]!.typing).toBe(true)
    vi.advanceTimersByTime(1500)
    expect(b.peers()[0]!.typing).toBeUndefined()
  })

  it('ignores junk and sanitizes what other peers send', () => {
    const hub = new Hub()
    const channel = hub.channel('repo-b')
    const b = new PresenceTracker(channel, bob)
    b.start()
    for (const junk of [null, 'hi', 42, [], { quirePresence: 2, kind: 'state', state: {} }, { quirePresence: 1, kind: 'state', state: null }]) {
      expect(() => channel.inject(junk)).not.toThrow()
    }
    expect(b.peers()).toHaveLength(0)
    channel.inject({
      quirePresence: 1,
      kind: 'state',
      state: { peerId: 'x y', name: '  Eve\u202e\n', color: 'red; background: url(https://evil)', fileId: '../etc', cursor: { anchor: -1, head: 2 }, typing: 'yes' },
    })
    const eve = b.peers()[0]!
    expect(eve).toMatchObject({ peerId: 'mallory', senderId: 'mallory', name: 'Eve', color: '#888888' })
    expect(eve.fileId).toBeUndefined()
    expect(eve.cursor).toBeUndefined()
    expect(eve.typing).toBeUndefined()
  })

  it('reads a long name only up to 80 characters', () => {
    const read = readPresenceMessage({ quirePresence: 1, kind: 'state', state: { name: 'n'.repeat(500) } }, 'peer', 5)
    expect(read).not.toBe('bye')
    expect(read && read !== 'bye' ? read.name.length : 0).toBe(80)
  })
})

describe('ProjectPresence', () => {
  it('exposes peers, peers in a file and its own state', () => {
    const hub = new Hub()
    const a = new ProjectPresence(hub.channel('repo-a'), alice)
    const b = new ProjectPresence(hub.channel('repo-b'), bob)
    a.start()
    b.start()
    a.setFile('f1')
    a.setCursor({ anchor: 1, head: 1 })
    expect(b.peersIn('f1').map((p) => p.name)).toEqual(['Alice'])
    expect(b.peersIn('f2')).toEqual([])
    expect(a.local).toMatchObject({ name: 'Alice', fileId: 'f1', cursor: { anchor: 1, head: 1 } })
    // Moving to another file (or a part of one) drops the cursor, which belonged to the old one.
    a.setFile('f1_cell_c7')
    expect(a.local.cursor).toBeUndefined()
    expect(b.peersIn('f1')).toEqual([])
    expect(b.peersInFile('f1').map((p) => p.name)).toEqual(['Alice'])
    expect(b.peersInFile('f')).toEqual([])
    a.setSelf({ name: 'Alice L.' })
    expect(b.peers[0]!.name).toBe('Alice L.')
    a.stop()
    b.stop()
  })
})

describe('ProjectPresence over automerge-repo', () => {
  it('reaches a peer through real DocHandles and ephemeral messages', async () => {
    vi.useRealTimers()
    const network = new TestNetwork({ seed: 7 })
    try {
      const repoA = await network.addRepo('repo-a')
      const repoB = await network.addRepo('repo-b')
      const handleA = repoA.create<unknown>({ type: 'quire/project' })
      await network.runUntilQuiet()
      const handleB = await repoB.find<unknown>(handleA.url)
      await network.runUntilQuiet()
      const a = new ProjectPresence(handleA, alice)
      const b = new ProjectPresence(handleB, bob)
      a.start()
      b.start()
      await network.runUntilQuiet()
      a.setActivity({ fileId: 'f1', cursor: { anchor: 4, head: 4 } })
      await network.runUntilQuiet()
      expect(b.peers.map((p) => [p.name, p.senderId, p.fileId, p.cursor])).toEqual([['Alice', 'repo-a', 'f1', { anchor: 4, head: 4 }]])
      expect(a.peers.map((p) => [p.name, p.senderId])).toEqual([['Bob', 'repo-b']])
      a.stop()
      await network.runUntilQuiet()
      expect(b.peers).toEqual([])
      b.stop()
    } finally {
      await network.shutdown()
    }
  })
})
