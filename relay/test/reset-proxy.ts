import { createServer, connect, type Server, type Socket } from 'node:net'

/** Where in a connection's life the proxy resets it, by how many bytes have crossed it. */
export type ResetPhase = 'dial' | 'upgrade' | 'handshake' | 'sync' | 'stall'

// Byte counts (both directions) that put a reset in each phase: a WebSocket upgrade request is about 200
// bytes, multistream-select and the noise handshake about 1 KB more, then identify and sync traffic.
const PHASES: Record<ResetPhase, [number, number]> = {
  dial: [0, 0],
  upgrade: [1, 200],
  handshake: [201, 1_500],
  sync: [1_501, 12_000],
  stall: [0, 0],
}

/** Counts of what a {@link ResetProxy} did. */
export interface ResetCounts {
  connections: number
  resets: number
  byPhase: Record<ResetPhase, number>
}

/**
 * A TCP proxy on loopback that resets connections (RST both ways, `resetAndDestroy`) at moments drawn from
 * a seeded random source: on accept, during the first bytes (a WebSocket upgrade), during the handshake,
 * or during sync. A fraction of connections pass untouched. With `stallFraction`, some connections are
 * accepted and never answered (the dialer times out and gives up on them), then reset when the next
 * connection arrives: what a dialer sees from a peer that hangs while it restarts.
 */
export class ResetProxy {
  readonly counts: ResetCounts = { connections: 0, resets: 0, byPhase: { dial: 0, upgrade: 0, handshake: 0, sync: 0, stall: 0 } }
  #server: Server
  #sockets = new Set<Socket>()
  #targetPort: number
  #stalled: Socket[] = []

  constructor(targetPort: number, private readonly random: () => number, private readonly options: { passFraction?: number; stallFraction?: number; stallFirst?: boolean } = {}) {
    this.#targetPort = targetPort
    this.#server = createServer((client) => this.#accept(client))
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(port, '127.0.0.1', () => resolve())
    })
    return (this.#server.address() as { port: number }).port
  }

  /** Connections accepted and left unanswered, not reset yet. */
  get stalled(): number {
    return this.#stalled.length
  }

  /** Resets the connections left unanswered (as the next connection does): a server that restarted. */
  resetStalled(): void {
    for (const s of this.#stalled.splice(0)) {
      this.counts.resets++
      this.counts.byPhase.stall++
      s.resetAndDestroy()
    }
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise((r) => this.#server.close(r))
  }

  #accept(client: Socket): void {
    this.counts.connections++
    this.#sockets.add(client)
    this.resetStalled()
    // The first connection is left unanswered when asked (`stallFirst`), so a run has at least one whatever
    // the random draws; then a fraction of them.
    const first = this.counts.connections === 1 && this.options.stallFirst === true
    if (first || this.random() < (this.options.stallFraction ?? 0)) {
      client.on('error', () => {})
      client.on('close', () => this.#sockets.delete(client))
      this.#stalled.push(client)
      return
    }
    const upstream = connect(this.#targetPort, '127.0.0.1')
    this.#sockets.add(upstream)
    const pass = this.random() < (this.options.passFraction ?? 0.15)
    const phases: ResetPhase[] = ['dial', 'upgrade', 'handshake', 'sync']
    const phase = phases[Math.floor(this.random() * phases.length)]!
    const [lo, hi] = PHASES[phase]
    const limit = pass ? Infinity : lo + Math.floor(this.random() * (hi - lo + 1))
    let crossed = 0
    let done = false
    const reset = (): void => {
      if (done) return
      done = true
      this.counts.resets++
      this.counts.byPhase[phase]++
      client.resetAndDestroy()
      if (upstream.connecting) upstream.destroy()
      else upstream.resetAndDestroy()
    }
    const close = (): void => {
      if (done) return
      done = true
      client.destroy()
      upstream.destroy()
    }
    for (const s of [client, upstream]) {
      s.on('error', close)
      s.on('close', () => { this.#sockets.delete(s); close() })
    }
    if (limit === 0) { reset(); return }
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (done) return
        const room = limit - crossed
        if (chunk.length < room) {
          crossed += chunk.length
          to.write(chunk)
          return
        }
        // Forward up to the limit, then reset mid-stream.
        if (room > 0) to.write(chunk.subarray(0, room))
        crossed = limit
        setImmediate(reset)
      })
    }
    forward(client, upstream)
    forward(upstream, client)
  }
}
