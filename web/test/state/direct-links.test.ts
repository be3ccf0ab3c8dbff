// @vitest-environment node
/**
 * Direct links between two sessions (TCP here; WebRTC in browsers, which is the same code path): a duplicate
 * link is closed on both ends, the same one, and a link that stops answering pings is aborted, after which
 * the peer connector reaches the peer again.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Connection, Stream } from '@libp2p/interface'
import { PeerConnector } from '../../src/lib/connection/peer-connector.js'
import { DirectLinks, linksToClose, type LinkFacts } from '../../src/lib/peer/direct-links.js'
import { PING_PROTOCOL } from '../../src/lib/peer/link-ping.js'
import type { Session } from '../../src/lib/peer/session.svelte.js'
import { freePort, startRelay, type RelayHandle } from '../e2e/harness.js'
import { bootstrapOf, memoryProfile, startSession, stopSessions, waitFor } from './helpers.js'

const stops: Array<() => void> = []
let relay: RelayHandle | undefined
let dir: string | undefined
afterEach(async () => {
  for (const stop of stops.splice(0)) stop()
  await stopSessions()
})
afterAll(async () => {
  await relay?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const FAST = { pingIntervalMs: 200, pingTimeoutMs: 400, maxMisses: 2 }

function link(id: string, direction: 'inbound' | 'outbound', open: number): LinkFacts {
  return { id, direction, timeline: { open } }
}

function watch(session: Session): DirectLinks {
  const links = new DirectLinks(session.node, () => session.relayPeerIds, FAST)
  links.start()
  stops.push(() => links.stop())
  return links
}

function tcpAddresses(session: Session) {
  return session.node.getMultiaddrs().filter((m) => !m.toString().includes('p2p-circuit'))
}

describe('which duplicate link both ends close', () => {
  it('keeps the links dialled by the peer whose id sorts first, on both ends', () => {
    const byLow = link('x', 'outbound', 5)
    const byHigh = link('y', 'inbound', 1)
    expect(linksToClose('a', 'b', [byLow, byHigh])).toEqual([byHigh])
    // The other end sees the same two links with the directions swapped and closes the same one.
    expect(linksToClose('b', 'a', [{ ...byLow, direction: 'inbound' }, { ...byHigh, direction: 'outbound' }]).map((l) => l.id)).toEqual(['y'])
    expect(linksToClose('a', 'b', [byLow])).toEqual([])
  })

  it('leaves the choice among several links of one dialler to that dialler, which keeps its oldest', () => {
    const older = link('1', 'outbound', 1)
    const newer = link('2', 'outbound', 2)
    expect(linksToClose('b', 'a', [newer, older])).toEqual([newer])
    expect(linksToClose('a', 'b', [{ ...newer, direction: 'inbound' }, { ...older, direction: 'inbound' }])).toEqual([])
    // Links dialled only by the peer sorting last: the same rule among them.
    expect(linksToClose('a', 'b', [newer, older])).toEqual([newer])
  })
})

describe('direct links between two sessions', () => {
  it('closes duplicate links until one is left, the same one on both ends', async () => {
    const a = await startSession(await memoryProfile(), bootstrapOf([]))
    const b = await startSession(await memoryProfile(), bootstrapOf([]))
    await a.node.dial(tcpAddresses(b), { force: true })
    await b.node.dial(tcpAddresses(a), { force: true })
    await a.node.dial(tcpAddresses(b), { force: true })
    expect(a.node.getConnections(b.node.peerId).length).toBe(3)
    const linksA = watch(a)
    const linksB = watch(b)
    await waitFor('one link on each end', () => linksA.links(b.peerId).length === 1 && linksB.links(a.peerId).length === 1)
    const low = a.peerId < b.peerId ? linksA : linksB
    const high = low === linksA ? linksB : linksA
    expect(low.links()[0]!.direction).toBe('outbound')
    expect(high.links()[0]!.direction).toBe('inbound')
    // It stays that way: nothing keeps closing or dialling.
    await new Promise((r) => setTimeout(r, 600))
    expect([linksA.links().length, linksB.links().length]).toEqual([1, 1])
  })

  it('aborts a link that stops answering pings, and the connector reaches the peer again', async () => {
    dir = await mkdtemp(join(tmpdir(), 'quire-web-links-'))
    relay = await startRelay(join(dir, 'relay'), { tcp: await freePort(), ws: await freePort() })
    const relayTcp = relay.addresses.find((x) => !x.includes('/ws'))!
    const a = await startSession(await memoryProfile(), bootstrapOf([relayTcp]))
    const b = await startSession(await memoryProfile(), bootstrapOf([relayTcp]))
    await waitFor('both sessions on the relay', () => [a, b].every((s) => s.node.getConnections().some((c) => c.remotePeer.toString() === relay!.peerId)))

    // B stops answering pings that arrive over its direct link with A, as a link whose far end is gone would.
    let silent = true
    await b.node.unhandle(PING_PROTOCOL)
    await b.node.handle(PING_PROTOCOL, async (stream: Stream, connection: Connection) => {
      if (silent && connection.remotePeer.toString() === a.peerId && !connection.remoteAddr.toString().includes('p2p-circuit')) return
      for await (const chunk of stream) stream.send(chunk)
      await stream.close()
    }, { runOnLimitedConnection: true, maxInboundStreams: 8 })

    const dead = await a.node.dial(tcpAddresses(b))
    const connector = new PeerConnector(a.node, () => a.bootstrap.relays, { intervalMs: 200 })
    connector.start()
    connector.want([b.peerId])
    stops.push(() => connector.stop())
    watch(a)
    await waitFor('the dead link to be aborted', () => dead.status !== 'open', 10_000)
    silent = false
    await waitFor('a new connection to B', () => a.node.getConnections(b.node.peerId).some((c) => c.status === 'open' && c.id !== dead.id), 20_000)
  })
})
