import { describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { hostKey } from '@quire/node'
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp, type TCPSocketOptions } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { DEFAULT_LIMITS, resolveRelayConfig } from '@quire/relay'
import { relayFixtures } from './fixtures.js'
import { sleep } from './helpers.js'
import { hostPort, silentFlood, WS_UPGRADE_REQUEST, type SilentFlood } from './silent-sockets.js'

const { cleanups, relayWith } = relayFixtures('quire-relay-stall-')

/** The attacker's address and the honest peers' address: two hosts on loopback. */
const ATTACKER = '127.0.0.1'
const HONEST = '127.0.0.2'
/** The brief's attack: 70 silent sockets from one address, each reopened 500 ms after the relay closes it. */
const SILENT = 70
const HONEST_DIALS = 6

function flood(options: Parameters<typeof silentFlood>[0]): SilentFlood {
  const f = silentFlood(options)
  cleanups.push(() => f.stop())
  return f
}

/**
 * A plain libp2p peer (TCP, noise, yamux) whose TCP dials come from {@link HONEST}: @libp2p/tcp hands its
 * `dialOpts` to `net.connect`, so `localAddress` binds the socket (its type does not list the field).
 * A Quire node cannot choose its source address, hence a bare libp2p node here.
 */
async function honestPeer(): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen: [] },
    transports: [tcp({ dialOpts: { localAddress: HONEST } as TCPSocketOptions })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
  })
  cleanups.push(async () => { await node.stop() })
  return node
}

/**
 * Dials the relay `n` times, 1 s apart, closing the connection after each so the next one is a new inbound
 * connection. Returns the failed dials with their errors.
 */
async function honestDials(node: Libp2p, address: string, n: number): Promise<string[]> {
  const failures: string[] = []
  for (let i = 0; i < n; i++) {
    try {
      const conn = await node.dial(multiaddr(address), { signal: AbortSignal.timeout(15_000) })
      await conn.close()
    } catch (err) {
      failures.push(`dial ${i}: ${(err as Error).name}: ${(err as Error).message}`)
    }
    await sleep(1_000)
  }
  return failures
}

describe('relay: stalled upgrades from one address', () => {
  it('[RL55] [RL56] the per-host pending cap and the upgrade timeout are relay options, with defaults', () => {
    expect(DEFAULT_LIMITS.maxIncomingPendingConnectionsPerHost).toBeLessThan(DEFAULT_LIMITS.maxIncomingPendingConnections)
    expect(DEFAULT_LIMITS.inboundUpgradeTimeoutMs).toBe(5_000)
    const { config } = resolveRelayConfig(['--max-incoming-pending-connections-per-host', '4'], { QUIRE_RELAY_INBOUND_UPGRADE_TIMEOUT_MS: '2000' })
    expect(config!.limits).toMatchObject({ maxIncomingPendingConnectionsPerHost: 4, inboundUpgradeTimeoutMs: 2000 })
    expect(() => resolveRelayConfig(['--max-incoming-pending-connections-per-host', '0'], {})).toThrow(expect.objectContaining({ code: 'RELAY_FLAG_INVALID' }))
    // An IPv6 host is its /64: a host picks any address in its prefix.
    expect(hostKey(multiaddr('/ip6/2001:db8:1:2::5/tcp/1'))).toBe(hostKey(multiaddr('/ip6/2001:db8:1:2:ffff::9/tcp/1')))
    expect(hostKey(multiaddr('/ip6/2001:db8:1:2::5/tcp/1'))).not.toBe(hostKey(multiaddr('/ip6/2001:db8:1:3::5/tcp/1')))
    expect(hostKey(multiaddr('/ip4/10.0.0.1/tcp/1'))).toBe('10.0.0.1')
  })

  it(`[RL55] while ${SILENT} silent TCP sockets from one address are kept reopened, ${HONEST_DIALS} dials from another address all connect`, async () => {
    const relay = await relayWith([])
    const node = await honestPeer()
    const attack = flood({ ...hostPort(relay.tcpAddress), count: SILENT, reopenMs: 500, localAddress: ATTACKER })
    await sleep(1_500)
    const failures = await honestDials(node, relay.tcpAddress, HONEST_DIALS)
    expect(failures).toEqual([])
    // The attack was real: every socket connected, and those the relay refused came back.
    expect(attack.opened).toBeGreaterThan(SILENT)
  })

  it('[RL55] [RL56] a burst of 500 silent sockets from one address does not stop a dial from another', async () => {
    const relay = await relayWith([])
    const node = await honestPeer()
    const attack = flood({ ...hostPort(relay.tcpAddress), count: 500, localAddress: ATTACKER })
    await sleep(1_000)
    const failures = await honestDials(node, relay.tcpAddress, 3)
    expect(failures).toEqual([])
    expect(attack.opened).toBe(500)
  })

  it(`[RL57] WebSocket connections that stall after their upgrade count per host too: ${SILENT} from one address leave room for others`, async () => {
    const relay = await relayWith([])
    const node = await honestPeer()
    // Each completes the HTTP upgrade (so libp2p starts upgrading it) and then says nothing.
    const attack = flood({ ...hostPort(relay.httpUrl), count: SILENT, reopenMs: 500, localAddress: ATTACKER, prefix: WS_UPGRADE_REQUEST })
    await sleep(1_500)
    const failures = await honestDials(node, relay.tcpAddress, 4)
    expect(failures).toEqual([])
    expect(attack.opened).toBeGreaterThanOrEqual(SILENT)
  })

  it('[RL56] a silent connection is closed once the inbound upgrade timeout passes', async () => {
    const relay = await relayWith(['--inbound-upgrade-timeout-ms', '1000'])
    const attack = flood({ ...hostPort(relay.tcpAddress), count: 3, localAddress: ATTACKER })
    await expect.poll(() => attack.connected, { timeout: 10_000 }).toBe(3)
    // Closed by the relay after about 1 s; generous for a loaded machine, far below libp2p's own 10 s.
    await expect.poll(() => attack.connected, { timeout: 8_000, interval: 100 }).toBe(0)
  })
})
