import { summarize, type Summary } from '../lib/stats.js'
import { rssBytes, sleep } from '../lib/proc.js'
import { split, startServer, startWorker, stopAll, withTempDir, type ServerStack, type ServerUnderTest, type Worker } from './harness.js'

export interface PeersResult {
  peers: number
  processes: number
  /** Each peer: from the start of its first dial to an open sync link with the server. */
  connect: Summary
  /** Each peer: from the start of the dial that succeeded to an open sync link. */
  lastAttempt: Summary
  /** Dials refused (and retried) in all. */
  refused: number
  /** From the first dial to the last peer linked (all dial at once). */
  allConnectedMs: number
  rssIdle: number
  rssConnected: number
}

/**
 * `peers` clients, `perProcess` to a worker process, all dial the server at the same moment (retrying a
 * refused dial after 0.2 to 1 s); each reports the time from its first dial, and from the dial that
 * succeeded, to an open sync link. The server's RSS is read before and 2 s after the last link.
 */
export async function relayPeers(stack: ServerStack, peers: number, perProcess = 50): Promise<PeersResult> {
  return withTempDir('quire-bench-peers-', async (dir) => {
    let server: ServerUnderTest | undefined
    const workers: Worker[] = []
    try {
      server = await startServer(stack.kind, dir)
      const names = Array.from({ length: peers }, (_, i) => `p${i}`)
      const groups = split(names, Math.ceil(peers / perProcess))
      workers.push(...await Promise.all(groups.map(() => startWorker())))
      await Promise.all(workers.map((w, i) => w.proc.request('start', { kind: stack.kind, names: groups[i]!, server: server!.address, serverPeerId: server!.peerId }, { timeout: 120_000 })))
      await sleep(1000)
      const rssIdle = rssBytes(server.pid)
      const started = performance.now()
      const times = (await Promise.all(workers.map((w) => w.proc.request('connect', undefined, { timeout: 120_000 })))).flat()
      const allConnectedMs = performance.now() - started
      await sleep(2000)
      const rssConnected = rssBytes(server.pid)
      return {
        peers, processes: workers.length, connect: summarize(times.map((t) => t.ms)), lastAttempt: summarize(times.map((t) => t.lastAttemptMs)),
        refused: times.reduce((n, t) => n + t.refused, 0), allConnectedMs, rssIdle, rssConnected,
      }
    } finally {
      await stopAll(workers, server)
    }
  })
}
