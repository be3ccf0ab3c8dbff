import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { connectionKind, type ConnectionKind } from '../libp2p/index.js'
import { announceProject, findProjectHolders, type ProjectAnnouncement } from '../discovery/index.js'
import { PeerCommandError, type CommandModule } from './peer-context.js'
import { num, obj, str } from './peer-params.js'

/** One open connection as reported to a test. */
export interface ConnectionReport {
  peerId: string
  remoteAddr: string
  kind: ConnectionKind
  /** True when a relay limits the connection (data or duration): a circuit relay v2 hop. */
  limited: boolean
  direction: 'inbound' | 'outbound'
}

/** Params and results of the libp2p commands, for typed `PeerProcess.request` calls. */
export interface Libp2pCommandTypes {
  peerId: { params: undefined; result: string }
  addresses: { params: undefined; result: string[] }
  /** Waits until an address containing `contains` is listened on (e.g. `p2p-circuit` after a reservation). */
  waitForAddress: { params: { contains: string; timeoutMs?: number }; result: string[] }
  /**
   * Dials an address, trying up to `attempts` times (default 1); `failedAttempts` lists the errors of the
   * attempts that failed before the one that succeeded.
   */
  dial: { params: { addr: string; timeoutMs?: number; attempts?: number }; result: ConnectionReport & { failedAttempts: string[] } }
  hangUp: { params: { peerId: string }; result: null }
  connections: { params: undefined; result: ConnectionReport[] }
  /** Opens a stream of `protocol` to a connected peer, sends `text`, and returns what the peer echoes. */
  echo: { params: { peerId: string; text: string; timeoutMs?: number }; result: string }
  /** Starts announcing a project on the DHT; resolves after the first provider record is put. */
  announceProject: { params: { projectId: string; timeoutMs?: number; intervalMs?: number }; result: null }
  /** Peers holding a project per the DHT (excluding this node), collected until the query ends or times out. */
  findProjectHolders: { params: { projectId: string; timeoutMs?: number }; result: Array<{ peerId: string; addrs: string[] }> }
  /** Keeps the event loop busy for `ms` (a starved process), then answers. */
  block: { params: { ms: number }; result: null }
  stop: { params: undefined; result: null }
}

/** Protocol of the test echo handler every peer process registers. */
export const TEST_ECHO_PROTOCOL = '/quire/test-echo/1.0.0'


/** Commands about the libp2p node itself: identity, addresses, dialing, connections, stop. */
export const libp2pCommands: CommandModule = (ctx) => {
  const { node } = ctx
  const report = (c: ReturnType<typeof node.getConnections>[number]): ConnectionReport => ({
    peerId: c.remotePeer.toString(),
    remoteAddr: c.remoteAddr.toString(),
    kind: connectionKind(c),
    limited: c.limits != null,
    direction: c.direction,
  })
  const announcements = new Map<string, ProjectAnnouncement>()
  ctx.onStop(() => { for (const a of announcements.values()) a.stop() })
  const addresses = (): string[] => node.getMultiaddrs().map((a) => a.toString())

  void node.handle(TEST_ECHO_PROTOCOL, async (stream) => {
    for await (const chunk of stream) stream.send(chunk)
    await stream.close()
  }, { runOnLimitedConnection: true })

  return {
    peerId: () => node.peerId.toString(),
    addresses,
    waitForAddress: async (params) => {
      const contains = str(params, 'contains')
      const deadline = Date.now() + num(params, 'timeoutMs', 20_000)
      while (Date.now() < deadline) {
        const found = addresses().filter((a) => a.includes(contains))
        if (found.length > 0) return found
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new PeerCommandError('ADDRESS_TIMEOUT', `no address containing '${contains}' after ${num(params, 'timeoutMs', 20_000)} ms; have ${addresses().join(', ') || 'none'}`)
    },
    dial: async (params) => {
      const addr = multiaddr(str(params, 'addr'))
      const attempts = Math.max(1, num(params, 'attempts', 1))
      const failedAttempts: string[] = []
      for (;;) {
        try {
          const conn = await node.dial(addr, { signal: AbortSignal.timeout(num(params, 'timeoutMs', 20_000)) })
          return { ...report(conn), failedAttempts }
        } catch (err) {
          failedAttempts.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err))
          if (failedAttempts.length >= attempts) {
            throw new PeerCommandError('DIAL_FAILED', `${attempts} dial attempt(s) to ${addr.toString()} failed: ${failedAttempts.join('; ')}`)
          }
        }
      }
    },
    hangUp: async (params) => {
      await node.hangUp(peerIdFromString(str(params, 'peerId')))
      return null
    },
    connections: () => node.getConnections().map(report),
    echo: async (params) => {
      const signal = AbortSignal.timeout(num(params, 'timeoutMs', 10_000))
      const stream = await node.dialProtocol(peerIdFromString(str(params, 'peerId')), TEST_ECHO_PROTOCOL, { signal, runOnLimitedConnection: true })
      const text = str(params, 'text')
      // Iterate before sending: a libp2p 3 stream iterator started after the remote closed its write end
      // never sees that close and hangs.
      const decoder = new TextDecoder()
      const reading = (async () => {
        let received = ''
        for await (const chunk of stream) received += decoder.decode(chunk.subarray(), { stream: true })
        return received
      })()
      const onAbort = (): void => { stream.abort(new PeerCommandError('ECHO_TIMEOUT', 'echo timed out')) }
      signal.addEventListener('abort', onAbort)
      try {
        stream.send(new TextEncoder().encode(text))
        await stream.close({ signal })
        return await reading
      } finally {
        signal.removeEventListener('abort', onAbort)
      }
    },
    announceProject: async (params) => {
      const projectId = str(params, 'projectId')
      const timeoutMs = num(params, 'timeoutMs', 20_000)
      let a = announcements.get(projectId)
      if (!a) {
        a = announceProject(node, projectId, { intervalMs: num(params, 'intervalMs', 60 * 60 * 1000), retryMs: 500, attemptTimeoutMs: timeoutMs })
        announcements.set(projectId, a)
      }
      let timer: ReturnType<typeof setTimeout> | undefined
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PeerCommandError('ANNOUNCE_TIMEOUT',
          `project ${projectId} not announced within ${timeoutMs} ms: ${a.lastError?.message ?? 'no DHT server reachable?'}`)), timeoutMs)
      })
      try { await Promise.race([a.announced, timedOut]) } finally { clearTimeout(timer) }
      return null
    },
    findProjectHolders: async (params) => {
      const found: Array<{ peerId: string; addrs: string[] }> = []
      const signal = AbortSignal.timeout(num(params, 'timeoutMs', 10_000))
      try {
        for await (const h of findProjectHolders(node, str(params, 'projectId'), { signal })) {
          found.push({ peerId: h.id.toString(), addrs: h.multiaddrs.map((m) => m.toString()) })
        }
      } catch (err) {
        if (!signal.aborted) throw err
      }
      return found
    },
    block: (params) => {
      const until = Date.now() + num(params, 'ms', 0)
      while (Date.now() < until) { /* busy: nothing else runs */ }
      return null
    },
    stop: async () => {
      await ctx.shutdown()
      return null
    },
  }
}
