/**
 * The member's side of `/quire/pty/1.0.0` against a scripted compute peer (a real libp2p node on loopback
 * whose handler writes exact bytes), so the order frames arrive in is fixed, not left to the transport.
 */
import { encode } from 'cbor-x'
import { afterAll, describe, expect, it } from 'vitest'
import { createQuireNode, encodeFrame, openTerminal, PTY_PROTOCOL, type PtyServerFrame, type PtyTerminalInfo, type QuireNode } from '@quire/node'

const nodes: QuireNode[] = []
afterAll(async () => { for (const n of nodes) await n.stop() })

async function node(): Promise<QuireNode> {
  const n = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })
  nodes.push(n)
  return n
}

const terminal: PtyTerminalInfo = {
  id: 'abc', name: 't', state: 'running', cols: 80, rows: 24, sizedBy: null, viewers: [], createdBy: 'x', createdAt: 0,
}

describe('pty client', () => {
  it('[T19] output that arrives in the same read as `ready` reaches the listeners added once openTerminal resolves, in order', async () => {
    const server = await node()
    const member = await node()
    const frames: PtyServerFrame[] = [
      { t: 'ready', terminal, screen: 'head-' },
      { t: 'output', data: new TextEncoder().encode('rest-1 ') },
      { t: 'output', data: new TextEncoder().encode('rest-2 ') },
      { t: 'info', terminal: { ...terminal, cols: 100 } },
      { t: 'output', data: new TextEncoder().encode('rest-3') },
    ]
    await server.handle(PTY_PROTOCOL, (stream) => {
      // The request is read and answered with every frame in one write: one read at the member's side.
      stream.addEventListener('message', () => {
        stream.send(Buffer.concat(frames.map((f) => encodeFrame(encode(f) as Uint8Array).subarray())))
      }, { once: true })
    })
    const viewer = await openTerminal(member, server.getMultiaddrs()[0]!, { project: 'p', id: 'abc', cols: 80, rows: 24 })
    const seen: string[] = []
    viewer.on('output', (data) => seen.push(new TextDecoder().decode(data)))
    viewer.on('info', (t) => seen.push(`info ${t.cols}`))
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(4)
    expect(viewer.initialScreen).toBe('head-')
    expect(seen).toEqual(['rest-1 ', 'rest-2 ', 'info 100', 'rest-3'])
    expect(viewer.terminal.cols).toBe(100)
    viewer.detach()
  })
})
