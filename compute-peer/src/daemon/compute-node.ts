/**
 * The compute peer's libp2p node. Browsers cannot dial TCP, so a compute peer with bootstrap relays also
 * listens on `/p2p-circuit` (a reservation on each relay): browsers reach it as
 * `<relay>/p2p/<relay id>/p2p-circuit/p2p/<compute id>`, to ask it to serve a project (A34) and to fetch
 * output images. With WebRTC (node-datachannel) it also listens on `/webrtc`, so a browser can upgrade
 * that relayed connection to a direct one signaled through the relay.
 */
import type { PrivateKey } from '@libp2p/interface'
import { createQuireNode, type QuireNode } from '@quire/node'
import type { ComputeConfig } from '../config/compute-config.js'

/** How long start waits for a first relay reservation, so the addresses printed at start include it. */
const RESERVATION_WAIT_MS = 5_000

export async function startComputeNode(config: ComputeConfig, privateKey: PrivateKey, log: (line: string) => void): Promise<QuireNode> {
  const relayed = config.bootstrap.length > 0
  const base = {
    role: 'compute' as const, privateKey, allowLoopback: config.allowLoopback,
    ...(relayed && { bootstrap: config.bootstrap }),
  }
  const listen = (extra: string[]): string[] => [...config.listen, ...extra.filter((a) => !config.listen.includes(a))]
  let node: QuireNode
  if (!relayed) {
    node = await createQuireNode({ ...base, listen: config.listen })
  } else {
    try {
      node = await createQuireNode({ ...base, listen: listen(['/p2p-circuit', '/webrtc']), webrtc: true })
    } catch (err) {
      // WebRTC is an upgrade only: without node-datachannel browsers still reach us through the relay.
      log(`WebRTC is not available (${(err as Error).message}); browsers reach this compute peer through its relays only`)
      node = await createQuireNode({ ...base, listen: listen(['/p2p-circuit']) })
    }
    if (!(await reservation(node, RESERVATION_WAIT_MS))) {
      log(`no relay reservation yet: browsers cannot reach this compute peer until one of ${config.bootstrap.join(', ')} accepts it (retrying)`)
    }
  }
  return node
}

function hasCircuitAddress(node: QuireNode): boolean {
  return node.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit'))
}

async function reservation(node: QuireNode, ms: number): Promise<boolean> {
  if (hasCircuitAddress(node)) return true
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer)
      node.removeEventListener('self:peer:update', onUpdate)
      resolve(ok)
    }
    const onUpdate = (): void => { if (hasCircuitAddress(node)) done(true) }
    const timer = setTimeout(() => done(hasCircuitAddress(node)), ms)
    node.addEventListener('self:peer:update', onUpdate)
  })
}
