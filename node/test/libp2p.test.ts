import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import {
  DEFAULT_RELAY_LIMITS, QUIRE_DHT_PROTOCOL, connectionKind, createQuireNode, quireConnectionGater, relayServerInit,
  type QuireNode,
} from '@quire/node'
import { startPeer, stopAllProcesses, type PeerProcess } from '@quire/node/testing'

describe('createQuireNode (in process)', () => {
  const nodes: QuireNode[] = []
  afterAll(async () => { await Promise.all(nodes.map((n) => n.stop())) })

  it('[L5] an invalid init is refused with code NODE_CONFIG_INVALID', async () => {
    await expect(createQuireNode({ role: 'nope' as 'peer' })).rejects.toMatchObject({ code: 'NODE_CONFIG_INVALID' })
    await expect(createQuireNode({ role: 'peer', listen: ['garbage'] })).rejects.toMatchObject({ code: 'NODE_CONFIG_INVALID' })
    await expect(createQuireNode({ role: 'peer', bootstrap: ['/ip4/127.0.0.1/tcp/4001'] })).rejects.toMatchObject({ code: 'NODE_CONFIG_INVALID' })
  })

  it('[L6] every node speaks the private DHT protocol; a relay serves it and the relay hop protocol, a peer is a DHT client', async () => {
    const relay = await createQuireNode({ role: 'relay', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
    const peer = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
    nodes.push(relay, peer)
    expect(relay.getProtocols()).toContain(QUIRE_DHT_PROTOCOL)
    expect(relay.getProtocols()).toContain('/libp2p/circuit/relay/0.2.0/hop')
    expect(relay.getProtocols()).not.toContain('/ipfs/kad/1.0.0')
    expect(relay.services.dht.getMode()).toBe('server')
    expect(peer.services.dht.getMode()).toBe('client')
    expect(peer.getProtocols()).not.toContain('/libp2p/circuit/relay/0.2.0/hop')
    const conn = await peer.dial(relay.getMultiaddrs()[0]!)
    expect(connectionKind(conn)).toBe('direct')
    expect(conn.limits).toBeUndefined()
    expect((await peer.services.ping.ping(relay.peerId))).toBeGreaterThanOrEqual(0)
  })

  it('[L19] the Node entry polyfills Promise.withResolvers and WebSocket, and a peer dials a relay over WebSockets', async () => {
    expect(typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers).toBe('function')
    expect(typeof (globalThis as { WebSocket?: unknown }).WebSocket).toBe('function')
    const relay = await createQuireNode({ role: 'relay', listen: ['/ip4/127.0.0.1/tcp/0/ws'], allowLoopback: true })
    const peer = await createQuireNode({ role: 'peer', listen: [], allowLoopback: true })
    nodes.push(relay, peer)
    const wsAddr = relay.getMultiaddrs().find((a) => a.toString().includes('/ws/'))!
    const conn = await peer.dial(wsAddr)
    expect(conn.remoteAddr.toString()).toContain('/ws')
    expect(connectionKind(conn)).toBe('direct')
  })

  it('[L7] loopback dials are refused unless allowLoopback', async () => {
    const target = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
    const strict = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'] })
    nodes.push(target, strict)
    await expect(strict.dial(target.getMultiaddrs()[0]!, { signal: AbortSignal.timeout(5_000) })).rejects.toMatchObject({ name: 'DialDeniedError' })
    expect(await target.dial(strict.getMultiaddrs()[0]!)).toBeDefined()
    expect(quireConnectionGater(false).denyDialMultiaddr?.(multiaddr('/ip4/127.0.0.1/tcp/1'))).toBe(true)
    expect(quireConnectionGater(false).denyDialMultiaddr?.(multiaddr('/ip4/8.8.8.8/tcp/1'))).toBe(false)
    expect(quireConnectionGater(true).denyDialMultiaddr?.(multiaddr('/ip4/127.0.0.1/tcp/1'))).toBe(false)
  })

  it('[L8] relay limits are set on purpose: defaults far above libp2p\'s 128 KiB / 2 min, overridable', () => {
    const d = relayServerInit().reservations!
    expect(d.applyDefaultLimit).toBe(true)
    expect(d.defaultDataLimit).toBe(BigInt(DEFAULT_RELAY_LIMITS.connectionDataBytes))
    expect(d.defaultDataLimit! >= 1024n * 1024n * 1024n).toBe(true)
    expect(d.defaultDurationLimit!).toBeGreaterThanOrEqual(60 * 60 * 1000)
    expect(d.maxReservations).toBe(DEFAULT_RELAY_LIMITS.maxReservations)
    const o = relayServerInit({ maxReservations: 3, connectionDataBytes: 1000 }).reservations!
    expect(o.maxReservations).toBe(3)
    expect(o.defaultDataLimit).toBe(1000n)
    expect(o.defaultDurationLimit).toBe(DEFAULT_RELAY_LIMITS.connectionDurationMs)
  })

  it('[L9] connections are classified by their remote address', () => {
    const kind = (a: string) => connectionKind({ remoteAddr: multiaddr(a) })
    expect(kind('/ip4/127.0.0.1/tcp/1')).toBe('direct')
    expect(kind('/ip4/127.0.0.1/tcp/1/p2p/12D3KooWGBgEZfSYR4P7NS3aaV77owWeV9RPJNWUbJTjk19LxtAQ/p2p-circuit')).toBe('relayed')
    expect(kind('/ip4/127.0.0.1/tcp/1/p2p/12D3KooWGBgEZfSYR4P7NS3aaV77owWeV9RPJNWUbJTjk19LxtAQ/p2p-circuit/webrtc')).toBe('webrtc')
  })
})

describe('circuit relay (three processes over loopback TCP)', () => {
  let dir: string
  let relay: PeerProcess
  let hidden: PeerProcess
  let dialer: PeerProcess

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quire-relay-'))
    relay = await startPeer({ role: 'relay', dataDir: join(dir, 'relay'), listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true }, { name: 'relay' })
    const bootstrap = [relay.info.addresses[0]!]
    ;[hidden, dialer] = await Promise.all([
      // Listens only through the relay: no TCP listener, so the relay is the one way to reach it.
      startPeer({ role: 'peer', dataDir: join(dir, 'hidden'), listen: ['/p2p-circuit'], bootstrap, allowLoopback: true }, { name: 'hidden' }),
      startPeer({ role: 'peer', dataDir: join(dir, 'dialer'), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, allowLoopback: true }, { name: 'dialer' }),
    ])
  })
  afterAll(async () => {
    await stopAllProcesses()
    await rm(dir, { recursive: true, force: true })
  })

  it('[L15] a peer listening only on /p2p-circuit gets a reservation and a relayed address, and no direct one', async () => {
    const circuit = await hidden.request('waitForAddress', { contains: '/p2p-circuit', timeoutMs: 20_000 })
    expect(circuit[0]).toContain(`/p2p/${relay.info.peerId}/p2p-circuit/p2p/${hidden.info.peerId}`)
    const all = await hidden.request('addresses', undefined)
    expect(all.every((a) => a.includes('/p2p-circuit'))).toBe(true)
  })

  it('[L16] it is reached through the relay; the connection is reported relayed and limited, and a stream works over it', async () => {
    const [addr] = await hidden.request('waitForAddress', { contains: '/p2p-circuit', timeoutMs: 20_000 })
    const conn = await dialer.request('dial', { addr: addr! })
    expect(conn).toMatchObject({ peerId: hidden.info.peerId, kind: 'relayed', limited: true, direction: 'outbound' })
    // The listening end registers the connection a moment after the dialer's dial resolves.
    await expect.poll(async () => (await hidden.request('connections', undefined)).find((c) => c.peerId === dialer.info.peerId), { timeout: 5_000 })
      .toMatchObject({ kind: 'relayed', limited: true, direction: 'inbound' })
    expect(await dialer.request('echo', { peerId: hidden.info.peerId, text: 'through the relay' })).toBe('through the relay')
  })
})
