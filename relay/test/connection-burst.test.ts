import { describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { createQuireNode, type QuireNode } from '@quire/node'
import { DEFAULT_LIMITS, resolveRelayConfig } from '@quire/relay'
import { relayFixtures } from './fixtures.js'

const { cleanups, relayWith } = relayFixtures('quire-relay-burst-')

const BURST = 30

/** Peers that only dial (no listener, no repo): the burst measures the relay's accept path, nothing else. */
async function dialers(n: number): Promise<QuireNode[]> {
  const nodes = await Promise.all(Array.from({ length: n }, () => createQuireNode({ role: 'peer', listen: [], allowLoopback: true })))
  cleanups.push(async () => { await Promise.all(nodes.map(async (x) => { await x.stop() })) })
  return nodes
}

/** Every node dials `address` once, all at the same moment; no retries. */
async function burst(nodes: QuireNode[], address: string): Promise<{ connected: number; refused: number }> {
  const results = await Promise.allSettled(nodes.map((x) => x.dial(multiaddr(address), { signal: AbortSignal.timeout(30_000) })))
  const connected = results.filter((r) => r.status === 'fulfilled').length
  return { connected, refused: results.length - connected }
}

describe('relay inbound connection limits', () => {
  it('[RL54] the per-host rate and the pending-upgrade cap are relay options, with relay defaults', () => {
    expect(DEFAULT_LIMITS.inboundConnectionThreshold).toBe(100)
    expect(DEFAULT_LIMITS.maxIncomingPendingConnections).toBe(64)
    const { config } = resolveRelayConfig(['--inbound-connection-threshold', '7'], { QUIRE_RELAY_MAX_INCOMING_PENDING_CONNECTIONS: '9' })
    expect(config!.limits).toMatchObject({ inboundConnectionThreshold: 7, maxIncomingPendingConnections: 9 })
    expect(() => resolveRelayConfig(['--max-incoming-pending-connections', '0'], {})).toThrow(expect.objectContaining({ code: 'RELAY_FLAG_INVALID' }))
  })

  it(`[RL54] with the defaults, ${BURST} peers dialing at once from loopback all connect on their first dial`, async () => {
    const relay = await relayWith([])
    const nodes = await dialers(BURST)
    const { connected, refused } = await burst(nodes, relay.tcpAddress)
    expect({ connected, refused }).toEqual({ connected: BURST, refused: 0 })
  })

  it('[RL54] with a low --inbound-connection-threshold, a burst from one address is partly refused and the relay stays up', async () => {
    // libp2p's own default: what the relay did before it set the limit.
    const relay = await relayWith(['--inbound-connection-threshold', '5'])
    const nodes = await dialers(BURST)
    const started = Date.now()
    const { connected, refused } = await burst(nodes, relay.tcpAddress)
    const seconds = Math.ceil((Date.now() - started) / 1000)
    expect(refused).toBeGreaterThan(0)
    // 5 per second: however slowly this machine ran the burst, no more got in than the rate allows.
    expect(connected).toBeGreaterThan(0)
    expect(connected).toBeLessThanOrEqual(5 * (seconds + 1))
    // A refusal is not a failure of the relay: once the second has passed, the next dial is accepted.
    await new Promise((r) => setTimeout(r, 1100))
    const late = await dialers(1)
    await late[0]!.dial(multiaddr(relay.tcpAddress), { signal: AbortSignal.timeout(30_000) })
  })
})
