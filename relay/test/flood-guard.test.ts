import { afterEach, describe, expect, it } from 'vitest'
import { FloodGuard } from '@quire/relay'

const guards: FloodGuard[] = []
afterEach(() => { for (const g of guards.splice(0)) g.stop() })

/** A guard over a congested relay (disk 500 ms behind), recording which peers it pauses. */
function congested(): { guard: FloodGuard; paused: Set<string> } {
  const paused = new Set<string>()
  const guard = new FloodGuard({
    flow: { pausePeer: (p) => paused.add(p), resumePeer: (p) => paused.delete(p) },
    diskLagMs: () => 500,
    intervalMs: 10,
  })
  guards.push(guard)
  return { guard, paused }
}

const tick = (ms = 15): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe('flood guard', () => {
  it('[RL53] while congested, a peer sending far more than the others is paused; equal peers are not', async () => {
    const { guard, paused } = congested()
    for (let round = 0; round < 5; round++) {
      // Four typists of a little unequal speed, and one flooder.
      for (const [peer, n] of [['a', 30], ['b', 24], ['c', 36], ['d', 27], ['flood', 400]] as const) {
        for (let i = 0; i < n; i++) guard.note(peer)
      }
      await tick()
    }
    expect([...paused]).toEqual(['flood'])
  })

  it('[RL53] a group of equal typists is never paused, however late the relay is', async () => {
    const { guard, paused } = congested()
    for (let round = 0; round < 10; round++) {
      for (const peer of ['a', 'b', 'c', 'd', 'e', 'f']) for (let i = 0; i < 20 + (round % 3) * 5 + peer.charCodeAt(0) % 4; i++) guard.note(peer)
      await tick()
      expect(paused.size).toBe(0)
    }
  })

  it('[RL53] a peer alone is never paused', async () => {
    const { guard, paused } = congested()
    for (let i = 0; i < 1000; i++) guard.note('alone')
    await tick(40)
    expect(paused.size).toBe(0)
  })
})
