/**
 * No error a remote peer or the network causes ends a daemon (L22): malformed WebSocket frames, dials
 * reset or ended by the server after libp2p gave up on them, and connections reset at seeded moments
 * (during the dial, the WebSocket upgrade, the noise handshake, sync) while a federated relay is killed and
 * restarted under the other.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createServer, connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadOrCreateIdentity } from '@quire/node'
import { freePort, startProcess, stopAllProcesses, waitUntil, type PeerProcess } from '@quire/node/testing'
import { startRelayProcess, type RelayProcess } from '@quire/relay/testing'
import { startClient, type Client } from './client.js'
import { get, seededRandom, tempDir } from './helpers.js'
import { ResetProxy } from './reset-proxy.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(() => stopAllProcesses())

// compute-peer is started from its built command (the relay package does not depend on it).
const computeCli = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'compute-peer', 'dist', 'cli.js')


async function relay(args: string[]): Promise<RelayProcess> {
  const { dir, remove } = await tempDir('quire-relay-resets-')
  cleanups.push(remove)
  const r = await startRelayProcess(['--data-dir', dir, ...args])
  cleanups.push(async () => { await r.proc.stop() })
  return r
}

async function healthy(r: RelayProcess): Promise<boolean> {
  return !r.proc.hasExited && (await get(`${r.httpUrl}/healthz`).catch(() => ({ status: 0 }))).status === 200
}

/** Opens a WebSocket to `httpUrl` by hand and sends `frame` once upgraded; resolves when the relay closes it. */
function sendRawFrame(httpUrl: string, frame: Buffer): Promise<void> {
  const u = new URL(httpUrl)
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname)
    s.on('error', () => resolve())
    s.on('close', () => resolve())
    s.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
      + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
    s.once('data', (d) => {
      if (!d.toString().startsWith('HTTP/1.1 101')) { s.destroy(); return }
      s.write(frame)
    })
  })
}

describe('network errors do not end a daemon', () => {
  it('[L22] a client sending malformed WebSocket frames does not take the relay down', async () => {
    const r = await relay([])
    const frames = [
      Buffer.from([0x82, 0x01, 0x00]), // unmasked binary frame (clients must mask)
      Buffer.from([0x83, 0x80, 1, 2, 3, 4]), // reserved opcode
      Buffer.from([0xc2, 0x80, 1, 2, 3, 4]), // RSV1 without an extension
      Buffer.from([0x88, 0x81, 1, 2, 3, 4, 5]), // close frame with a one-byte body
    ]
    for (const f of frames) await sendRawFrame(r.httpUrl, f)
    expect(await healthy(r)).toBe(true)
    // And it still serves a member over WebSockets.
    const c = await startClient()
    cleanups.push(() => c.stop())
    await c.dial(r.info.addresses.find((a) => a.includes('/ws'))!)
  })

  it('[L22] federation dials libp2p gave up on, later reset or ended by the server, do not take the relay down', async () => {
    // A "federated relay" that accepts TCP and never answers the WebSocket upgrade: every federation dial
    // times out in libp2p. When the next dial arrives, the previous (abandoned) one is reset or ended.
    const held: Socket[] = []
    const all = new Set<Socket>()
    let connections = 0
    const server = createServer((s) => {
      s.on('error', () => {})
      all.add(s)
      s.on('close', () => all.delete(s))
      connections++
      for (const old of held.splice(0)) {
        if (connections % 2 === 0) old.resetAndDestroy() // read ECONNRESET in the relay's HTTP client
        else old.end() // socket hang up
      }
      held.push(s)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    cleanups.push(async () => { for (const s of all) s.destroy(); await new Promise((r) => server.close(r)) })
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const port = (server.address() as { port: number }).port
    const r = await relay(['--peer', `/ip4/127.0.0.1/tcp/${port}/ws/p2p/${id}`])
    // Four dials: the first three were each abandoned and then reset, ended, reset.
    await waitUntil(() => connections >= 4 || r.proc.hasExited, 90_000, 'four federation dials')
    expect(r.proc.hasExited).toBe(false)
    expect(await healthy(r)).toBe(true)
  })

  it('[L22] relays and a compute peer stay up through 100 seeded resets (200 in the long run) and three restarts of the federated relay', async () => {
    const seed = Number(process.env['QUIRE_RESET_SEED'] ?? 22)
    const random = seededRandom(seed)
    const sub = (): (() => number) => seededRandom(Math.floor(random() * 2 ** 32))
    const { dir, remove } = await tempDir('quire-relay-resets-fed-')
    cleanups.push(remove)
    const [dirA, dirB] = [join(dir, 'a'), join(dir, 'b')]
    const idA = (await loadOrCreateIdentity(dirA)).publicKey.toString()
    const idB = (await loadOrCreateIdentity(dirB)).publicKey.toString()
    const [tcpA, wsA, tcpB, wsB] = [await freePort(), await freePort(), await freePort(), await freePort()]
    const proxies: ResetProxy[] = []
    const proxy = async (target: number, stallFraction = 0): Promise<number> => {
      const p = new ResetProxy(target, sub(), { stallFraction, stallFirst: stallFraction > 0 })
      proxies.push(p)
      cleanups.push(() => p.close())
      return p.listen()
    }
    // A reaches B only through a resetting proxy on B's WebSocket port (the dial path that crashed), which
    // also leaves some dials unanswered until libp2p gives up on them, then resets them.
    const toB = await proxy(wsB, 0.3)
    const relayArgs = (d: string, tcp: number, ws: number, peer: string): string[] => [
      '--data-dir', d, '--listen', `/ip4/127.0.0.1/tcp/${tcp}`, '--listen', `/ip4/127.0.0.1/tcp/${ws}/ws`,
      '--peer', peer, '--hosting', 'open', '--inbound-connection-threshold', '100000',
    ]
    const relayA = await startRelayProcess(relayArgs(dirA, tcpA, wsA, `/ip4/127.0.0.1/tcp/${toB}/ws/p2p/${idB}`))
    cleanups.push(async () => { await relayA.proc.stop() })
    const startB = (): Promise<RelayProcess> => startRelayProcess(relayArgs(dirB, tcpB, wsB, `/ip4/127.0.0.1/tcp/${tcpA}/p2p/${idA}`))
    let relayB = await startB()
    cleanups.push(async () => { await relayB.proc.stop() })

    const toATcp = await proxy(tcpA)
    const toAWs = await proxy(wsA)
    // The compute peer dials A over WebSockets through a proxy, and is dialed through another.
    const { dir: computeDir, remove: removeCompute } = await tempDir('quire-compute-resets-')
    cleanups.push(removeCompute)
    const compute: PeerProcess = await startProcess(computeCli, {
      name: 'compute', readyTimeout: 60_000,
      args: ['--listen', '/ip4/127.0.0.1/tcp/0', '--allow-loopback', '--data-dir', computeDir, '--bootstrap', `/ip4/127.0.0.1/tcp/${toAWs}/ws/p2p/${idA}`],
    })
    cleanups.push(async () => { await compute.stop() })
    const computeId = compute.info.peerId
    const computePort = Number(/\/tcp\/(\d+)/.exec(compute.info.addresses[0]!)![1])
    const toC = await proxy(computePort)

    const targets = [
      `/ip4/127.0.0.1/tcp/${toATcp}/p2p/${idA}`,
      `/ip4/127.0.0.1/tcp/${toAWs}/ws/p2p/${idA}`,
      `/ip4/127.0.0.1/tcp/${toC}/p2p/${computeId}`,
    ]
    const resets = (): number => proxies.reduce((n, p) => n + p.counts.resets, 0)
    // A count, not a time: 100 resets reach every phase; the long run does 200.
    const TARGET = Number(process.env['QUIRE_RESET_TARGET'] ?? (process.env['QUIRE_LONG'] === '1' ? 200 : 100))
    // Every wait below shares one deadline inside the test's timeout, so a slow machine fails with a message
    // instead of running past it.
    const deadline = Date.now() + Number(process.env['QUIRE_RESET_WAIT_MS'] ?? 360_000)
    const left = (): number => Math.max(1_000, deadline - Date.now())
    let stop = false
    // Members dial through the proxies, write a document when connected, hang up, and dial again.
    const memberLoop = async (c: Client, rnd: () => number): Promise<void> => {
      const doc = c.q.repo.create<{ lines: string[] }>({ lines: [] })
      while (!stop) {
        const target = multiaddr(targets[Math.floor(rnd() * targets.length)]!)
        try {
          const conn = await c.node.dial(target, { signal: AbortSignal.timeout(5_000) })
          for (let i = 0; i < 5 && !stop; i++) {
            // About 1 KB a change, so that resets land in sync traffic too.
            doc.change((d) => { d.lines.push(rnd().toString(36).repeat(64)) })
            await new Promise((r) => setTimeout(r, 20))
          }
          await conn.close().catch(() => {})
        } catch {
          // Reset: dial again, after a breath (a refused dial fails at once; this loop must not hog the CPU the
          // daemons need).
          await new Promise((r) => setTimeout(r, 10))
        }
      }
    }
    const members = await Promise.all([startClient(), startClient(), startClient()])
    for (const m of members) cleanups.push(() => m.stop())
    const loops = members.map((m) => memberLoop(m, sub()))

    const stalls = (): number => proxies.reduce((n, p) => n + p.counts.byPhase.stall, 0)
    try {
      // Kill the federated relay at three points of the schedule and restart it; A redials through the proxy.
      for (const mark of [TARGET / 4, TARGET / 2, (3 * TARGET) / 4]) {
        await waitUntil(() => resets() >= mark || relayA.proc.hasExited || compute.hasExited, left(), `${mark} resets`)
        if (relayA.proc.hasExited || compute.hasExited) break
        await relayB.proc.kill('SIGKILL')
        relayB = await startB()
      }
      await waitUntil(() => resets() >= TARGET || relayA.proc.hasExited || compute.hasExited, left(), `${TARGET} resets`)
      // A's first dial to B was left unanswered, and libp2p gave up on it. If A has not dialed B again since
      // (its redial backs off), reset what is left unanswered now, as a restarted B would: the path that
      // crashed relays (an abandoned dial whose socket the server later resets).
      const toBProxy = proxies[0]!
      if (stalls() === 0) {
        await waitUntil(() => toBProxy.stalled > 0 || stalls() > 0, left(), 'a dial of B left unanswered')
        toBProxy.resetStalled()
      }
      await new Promise((r) => setTimeout(r, 2_000)) // time for a crash to happen
    } finally {
      // The members' loops end however the waits ended: left running they would keep dialing after the test.
      stop = true
      await Promise.all(loops)
      const phases = proxies.reduce((acc, p) => {
        for (const [k, v] of Object.entries(p.counts.byPhase)) acc[k] = (acc[k] ?? 0) + v
        return acc
      }, {} as Record<string, number>)
      process.stderr.write(`seed ${seed}: ${resets()} resets of ${proxies.reduce((n, p) => n + p.counts.connections, 0)} connections, by phase ${JSON.stringify(phases)}\n`)
    }
    const byPhase = proxies.reduce((acc, p) => {
      for (const [k, v] of Object.entries(p.counts.byPhase)) acc[k] = (acc[k] ?? 0) + v
      return acc
    }, {} as Record<string, number>)

    expect(relayA.proc.hasExited).toBe(false)
    expect(compute.hasExited).toBe(false)
    expect(relayB.proc.hasExited).toBe(false)
    expect(resets()).toBeGreaterThanOrEqual(TARGET)
    for (const n of Object.values(byPhase)) expect(n).toBeGreaterThan(0)
    expect(await healthy(relayA)).toBe(true)
    expect(await healthy(relayB)).toBe(true)

    // A fresh member syncs through A: a document it writes reaches fresh readers through A (a reader told
    // "unavailable" before A had it remembers that, so each try is a new reader).
    const w = await startClient()
    cleanups.push(() => w.stop())
    await w.dial(relayA.tcpAddress)
    const doc = w.q.repo.create<{ text: string }>({ text: 'after the resets' })
    await waitUntil(async () => {
      const r = await startClient()
      try {
        await r.dial(relayA.tcpAddress)
        const found = await r.q.repo.find<{ text: string }>(doc.url, { signal: AbortSignal.timeout(3_000) })
        return found.doc().text === 'after the resets'
      } catch {
        return false
      } finally {
        await r.stop()
      }
    }, 60_000, 'a fresh reader to get the document through relay A')
    // And the compute peer still accepts connections. A dial may be refused for a moment (a CI run saw
    // ECONNRESET here): libp2p refuses a host's inbound connections past 5 a second, and past 10 being
    // upgraded at once until the upgrade timeout (10 s) ends stalled ones, and the members' peers may still be
    // redialing. A peer that stopped accepting would refuse past both windows: retry for 25 s, then fail.
    const probe = await startClient()
    cleanups.push(() => probe.stop())
    const refusals: string[] = []
    await waitUntil(async () => {
      try {
        await probe.node.dial(multiaddr(`${compute.info.addresses[0]!}`), { signal: AbortSignal.timeout(10_000) })
        return true
      } catch (err) {
        refusals.push((err as Error).message)
        await new Promise((r) => setTimeout(r, 500))
        return false
      }
    }, 25_000, 'the compute peer to accept a connection').catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; refusals: ${refusals.slice(-3).join(' | ')}`)
    })
    if (refusals.length > 0) console.log(`the compute peer refused ${refusals.length} probe dial(s) before accepting: ${refusals[0]}`)
  }, 480_000)
})
