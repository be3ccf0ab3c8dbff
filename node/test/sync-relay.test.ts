import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { createQuireNode, createQuireRepo, type QuireNode, type QuireRepo } from '@quire/node'
import { startLoopbackNode, waitForDoc, waitUntil } from '@quire/node/testing'

interface Doc { items: string[] }

// The relay runs no repo: whatever the hidden peer receives came over relayed (limited) connections.
describe('/quire/sync/1.0.0 through a circuit relay', () => {
  let relay: QuireNode
  let a: QuireNode
  let b: QuireNode
  let hidden: QuireNode
  const repos: QuireRepo[] = []

  beforeAll(async () => {
    relay = await createQuireNode({ role: 'relay', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
    const bootstrap = [relay.getMultiaddrs()[0]!.toString()]
    hidden = await createQuireNode({ role: 'peer', listen: ['/p2p-circuit'], bootstrap, allowLoopback: true })
    ;[a, b] = await Promise.all([startLoopbackNode(), startLoopbackNode()])
    for (const n of [a, b, hidden]) repos.push(await createQuireRepo({ libp2p: n }))
  })

  afterAll(async () => {
    await Promise.all(repos.map((r) => r.stop()))
    await Promise.all([a, b, hidden, relay].map((n) => n.stop()))
  })

  it('[Y12] three peers, one reachable only through a relay, sync over limited connections and converge', async () => {
    await waitUntil(() => hidden.getMultiaddrs().some((m) => m.toString().includes('/p2p-circuit')), 20_000, 'a reservation')
    const circuit = hidden.getMultiaddrs().find((m) => m.toString().includes('/p2p-circuit'))!
    await a.dial(b.getMultiaddrs()[0]!)
    const viaA = await a.dial(multiaddr(circuit.toString()))
    const viaB = await b.dial(multiaddr(circuit.toString()))
    expect(viaA.limits).toBeDefined()
    expect(viaB.limits).toBeDefined()
    const [ra, rb, rh] = repos as [QuireRepo, QuireRepo, QuireRepo]
    await waitUntil(() => rh.repo.peers.length === 2 && ra.repo.peers.length === 2 && rb.repo.peers.length === 2, 20_000, 'all pairs syncing')

    const onA = ra.repo.create<Doc>({ items: [] })
    const [onB, onH] = await Promise.all([rb.repo.find<Doc>(onA.url), rh.repo.find<Doc>(onA.url)])
    onA.change((d) => { d.items.push('a') })
    onB.change((d) => { d.items.push('b') })
    onH.change((d) => { d.items.push('hidden') })
    const all = (d: Doc): boolean => d.items.length === 3
    await Promise.all([waitForDoc(onA, all), waitForDoc(onB, all), waitForDoc(onH, all)])
    expect(onA.doc().items).toEqual(onH.doc().items)
    expect(onB.doc().items).toEqual(onH.doc().items)
    expect([...onH.doc().items].sort()).toEqual(['a', 'b', 'hidden'])
  })
})
