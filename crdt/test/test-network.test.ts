/**
 * The in-memory test network itself: ordering, faults, partitions, determinism, quiet detection. Most tests
 * drive bare adapters so that every message is one the test sent; the last ones run real Repos.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { DocumentId, Message, PeerId, Repo } from '@automerge/automerge-repo'
import { LevelStorageAdapter, createText, readText, spliceText, type TextDoc } from '@quire/crdt'
import {
  TestNetwork,
  TestNetworkError,
  createRandom,
  fakeTimerClock,
  realClock,
  type TestNetworkInit,
} from '@quire/crdt/testing'

/** A bare adapter that records what it sees, as `peer-candidate:x`, `peer-disconnected:x`, `message:...`. */
function bareNode(network: TestNetwork, id: string) {
  const adapter = network.createAdapter()
  const log: string[] = []
  const received: Message[] = []
  adapter.on('peer-candidate', ({ peerId }) => log.push(`peer-candidate:${peerId}`))
  adapter.on('peer-disconnected', ({ peerId }) => log.push(`peer-disconnected:${peerId}`))
  adapter.on('message', (message) => {
    received.push(message)
    log.push(`message:${message.senderId}:${message.documentId}:${message.data?.[0]}`)
  })
  adapter.connect(id as PeerId, {})
  const send = (to: string, doc: string, n: number): void =>
    adapter.send({ type: 'sync', senderId: id as PeerId, targetId: to as PeerId, documentId: doc as DocumentId, data: Uint8Array.of(n) })
  return { adapter, log, received, send }
}

function fakeNetwork(init: Omit<TestNetworkInit, 'clock'> = {}): TestNetwork {
  return new TestNetwork({ ...init, clock: fakeTimerClock(vi) })
}

/** Sends 20 numbered messages on each of two documents from a to b and from b to a; returns both nodes. */
function crossTraffic(network: TestNetwork) {
  const a = bareNode(network, 'a')
  const b = bareNode(network, 'b')
  for (let n = 0; n < 20; n++) {
    for (const doc of ['d1', 'd2']) {
      a.send('b', doc, n)
      b.send('a', doc, n)
    }
  }
  return { a, b }
}

describe('test network', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('[R1] connected adapters see each other, and nothing is delivered until the network is stepped', async () => {
    const network = fakeNetwork()
    const a = bareNode(network, 'a')
    const b = bareNode(network, 'b')
    expect(a.log).toEqual(['peer-candidate:b'])
    expect(b.log).toEqual(['peer-candidate:a'])
    a.send('b', 'd1', 7)
    await network.settle()
    expect(b.received).toHaveLength(0)
    expect(network.inFlight).toBe(1)
    expect(await network.step()).toBe(true)
    expect(b.received.map((m) => m.data?.[0])).toEqual([7])
    expect(b.received[0]?.senderId).toBe('a')
    expect(await network.step()).toBe(false)
  })

  it('[R2] messages of one direction and document arrive in order; documents and directions interleave', async () => {
    const network = fakeNetwork({ seed: 42 })
    const { a, b } = crossTraffic(network)
    await network.runUntilQuiet()
    for (const node of [a, b]) {
      for (const doc of ['d1', 'd2']) {
        const numbers = node.received.filter((m) => m.documentId === doc).map((m) => m.data?.[0])
        expect(numbers).toEqual(Array.from({ length: 20 }, (_, n) => n))
      }
      // The send order alternated d1, d2; a network that kept it would not exercise independent documents.
      const docs = node.received.map((m) => m.documentId)
      expect(docs).not.toEqual(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 'd1' : 'd2')))
    }
  })

  it('[R3] the same seed gives the same delivery order; another seed gives another', async () => {
    const trace = async (seed: number): Promise<string[]> => {
      const network = fakeNetwork({ seed, faults: { drop: 0.05, duplicate: 0.05, disconnect: 0.05 } })
      const { a, b } = crossTraffic(network)
      await network.runUntilQuiet()
      return [...a.log, '|', ...b.log]
    }
    const first = await trace(7)
    expect(await trace(7)).toEqual(first)
    const others = await Promise.all([8, 9, 10].map(trace))
    expect(others.some((other) => JSON.stringify(other) !== JSON.stringify(first))).toBe(true)
  })

  it('[R4] a dropped message resets its link: both sides see peer-disconnected, queued messages are lost, then peer-candidate', async () => {
    const network = fakeNetwork({ faults: { drop: 1 } })
    const a = bareNode(network, 'a')
    const b = bareNode(network, 'b')
    a.send('b', 'd1', 1)
    a.send('b', 'd1', 2)
    b.send('a', 'd1', 3)
    await network.step()
    expect(network.stats.dropped).toBe(1)
    expect(network.stats.lost).toBe(2)
    expect(network.inFlight).toBe(0)
    expect(a.log).toEqual(['peer-candidate:b', 'peer-disconnected:b'])
    expect(b.log).toEqual(['peer-candidate:a', 'peer-disconnected:a'])
    a.send('b', 'd1', 4) // on a broken link: lost, as on a closed socket
    expect(network.stats.lost).toBe(3)
    await network.runUntilQuiet()
    expect(a.log).toEqual(['peer-candidate:b', 'peer-disconnected:b', 'peer-candidate:b'])
    expect(b.log).toEqual(['peer-candidate:a', 'peer-disconnected:a', 'peer-candidate:a'])
    expect(b.received).toHaveLength(0)
    expect(network.stats.reconnects).toBe(1)
  })

  it('[R5] a duplicated message arrives twice, then its link resets', async () => {
    const network = fakeNetwork({ faults: { duplicate: 1 } })
    const a = bareNode(network, 'a')
    const b = bareNode(network, 'b')
    a.send('b', 'd1', 5)
    await network.step()
    expect(b.log).toEqual(['peer-candidate:a', 'message:a:d1:5', 'message:a:d1:5', 'peer-disconnected:a'])
    expect(b.received[0]).not.toBe(b.received[1])
    await network.runUntilQuiet()
    expect(b.log.at(-1)).toBe('peer-candidate:a')
  })

  it('[R6] with disconnect faults, links break while messages are in flight and come back', async () => {
    const network = fakeNetwork({ seed: 3, faults: { disconnect: 0.3 } })
    const { a, b } = crossTraffic(network)
    await network.runUntilQuiet()
    expect(a.log.filter((line) => line === 'peer-disconnected:b').length).toBeGreaterThan(0)
    expect(a.log.at(-1)).toBe('peer-candidate:b')
    expect(network.stats.reconnects).toBeGreaterThan(0)
    expect(b.log.filter((line) => line.startsWith('peer-')).at(-1)).toBe('peer-candidate:a')
  })

  it('[R7] a partition holds its links down until heal, which also ends faults', async () => {
    const network = fakeNetwork({ faults: { drop: 1 } })
    const a = bareNode(network, 'a')
    const b = bareNode(network, 'b')
    const c = bareNode(network, 'c')
    network.partition(['a'], ['b', 'c'])
    expect(a.log).toEqual(['peer-candidate:b', 'peer-candidate:c', 'peer-disconnected:b', 'peer-disconnected:c'])
    a.send('b', 'd1', 1)
    expect(await network.runUntilQuiet()).toBe(0)
    expect(a.log.at(-1)).toBe('peer-disconnected:c')
    network.heal()
    expect(a.log.slice(-2)).toEqual(['peer-candidate:b', 'peer-candidate:c'])
    b.send('c', 'd1', 2)
    await network.runUntilQuiet()
    expect(c.received.map((m) => m.data?.[0])).toEqual([2])
    expect(network.stats.dropped).toBe(0)
  })

  it('[R7] disconnect() and connect() control one link', async () => {
    const network = fakeNetwork()
    const a = bareNode(network, 'a')
    bareNode(network, 'b')
    network.disconnect('a', 'b')
    await network.runUntilQuiet()
    expect(a.log).toEqual(['peer-candidate:b', 'peer-disconnected:b'])
    network.connect('a', 'b')
    expect(a.log.at(-1)).toBe('peer-candidate:b')
  })

  it('[R8] misuse is reported with stable codes', async () => {
    const network = fakeNetwork({ faults: {} })
    await network.addRepo('x')
    await expect(network.addRepo('x')).rejects.toMatchObject({ code: 'DUPLICATE_PEER' })
    expect(() => network.partition(['x'], ['nobody'])).toThrow(TestNetworkError)
    expect(() => network.disconnect('x', 'nobody')).toThrow(expect.objectContaining({ code: 'UNKNOWN_PEER' }))
    const busy = fakeNetwork()
    const { a } = crossTraffic(busy)
    expect(a.received).toHaveLength(0)
    await expect(busy.runUntilQuiet({ maxSteps: 5 })).rejects.toMatchObject({ code: 'NOT_QUIET' })
    await network.shutdown()
  })

  it('[R3] sfc32: a seed always gives the same numbers, in range', () => {
    const x = createRandom(99)
    const y = createRandom(99)
    const xs = Array.from({ length: 100 }, () => x.int(-3, 3))
    expect(Array.from({ length: 100 }, () => y.int(-3, 3))).toEqual(xs)
    expect(new Set(xs)).toEqual(new Set([-3, -2, -1, 0, 1, 2, 3]))
    expect(createRandom(100).next()).not.toBe(createRandom(99).next())
    expect(createRandom(5).shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5])
  })
})

describe('test network with Repos', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  async function textOn(repos: Repo[]) {
    const first = (repos[0] as Repo).create<TextDoc>(createText('hello') as unknown as TextDoc)
    const others = await Promise.all(repos.slice(1).map((repo) => repo.find<TextDoc>(first.url)))
    return [first, ...others]
  }

  it('[R10] with a fake clock, a change reaches every peer only through steps, and runUntilQuiet delivers it', async () => {
    vi.useFakeTimers()
    const network = fakeNetwork({ seed: 11 })
    const repos = [await network.addRepo('p0'), await network.addRepo('p1'), await network.addRepo('p2')]
    const handlesPromise = textOn(repos)
    await network.runUntilQuiet()
    const handles = await handlesPromise
    handles[1]?.change((d) => spliceText(d, 5, 0, ', world'))
    await vi.advanceTimersByTimeAsync(1000) // timers alone move nothing: the network must be stepped
    expect(network.inFlight).toBeGreaterThan(0)
    expect(readText(handles[2]?.doc()).ok && handles[2]?.doc().content).toBe('hello')
    await network.runUntilQuiet()
    for (const handle of handles) expect(handle.doc().content).toBe('hello, world')
    expect(network.inFlight).toBe(0)
    await network.shutdown()
  })

  it('[R10] with real timers, runUntilQuiet waits out the sync throttle', async () => {
    const network = new TestNetwork({ seed: 12, clock: realClock({ idleMs: 150 }) })
    const repos = [await network.addRepo('p0'), await network.addRepo('p1')]
    const handlesPromise = textOn(repos)
    await network.runUntilQuiet()
    const handles = await handlesPromise
    handles[0]?.change((d) => spliceText(d, 0, 0, '> '))
    await network.runUntilQuiet()
    expect(handles[1]?.doc().content).toBe('> hello')
    await network.shutdown()
  })

  it('[R10] Repos with classic-level storage on disk sync over the network on a real clock', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-test-network-'))
    const adapters = ['s0', 's1'].map((name) => new LevelStorageAdapter(new ClassicLevel(join(dir, name))))
    const network = new TestNetwork({ seed: 13, clock: realClock({ idleMs: 150 }) })
    try {
      const repos = [await network.addRepo('s0', { storage: adapters[0] }), await network.addRepo('s1', { storage: adapters[1] })]
      // Durable peers exchange storage ids, so automerge-repo also saves and loads their sync states.
      expect(repos[0]?.peerMetadataByPeerId['s1' as PeerId]?.storageId).toBeDefined()
      const handlesPromise = textOn(repos)
      await network.runUntilQuiet()
      const handles = await handlesPromise
      handles[1]?.change((d) => spliceText(d, 5, 0, '!'))
      await network.runUntilQuiet()
      expect(handles[0]?.doc().content).toBe('hello!')
      await Promise.all(repos.map((repo) => repo.flush()))
    } finally {
      await network.shutdown()
      await Promise.all(adapters.map((adapter) => adapter.close()))
      await rm(dir, { recursive: true, force: true })
    }
  })
})
