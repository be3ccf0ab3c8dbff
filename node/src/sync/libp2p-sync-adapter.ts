import { NetworkAdapter, type Message, type PeerId, type PeerMetadata } from '@automerge/automerge-repo'
import type { Connection, Libp2p, PeerId as Libp2pPeerId, Stream } from '@libp2p/interface'
import { connectionKind } from '../libp2p/connection-kind.js'
import type { SyncError } from './errors.js'
import { DEFAULT_MAX_FRAME_BYTES } from './frame-codec.js'
import { SYNC_PROTOCOL_VERSION, type HelloFrame } from './message-guard.js'
import { SyncLink } from './sync-link.js'
import { defaultSyncLog, emptySyncStats, type SyncLogEntry, type SyncStats } from './sync-stats.js'

/** The libp2p protocol id of Quire's document sync. */
export const SYNC_PROTOCOL = '/quire/sync/1.0.0'

/**
 * Sync streams one connection may carry in each direction. The design is one stream per pair (Y2); a few
 * more let a tie-break or a reopen overlap with a stream that is still closing. libp2p's default (32 in,
 * 64 out, per protocol and connection) would let one peer hold dozens of sync streams for nothing.
 */
export const DEFAULT_MAX_SYNC_STREAMS = 4

/**
 * How well a connection suits the sync stream (Y27), lower is better: 0 for a direct connection (TCP,
 * WebSocket, WebRTC: its data goes straight to the peer), 1 for a relayed one (a circuit relay hop: limited
 * in bytes and time, and one more hop than the direct path).
 */
export function syncPathRank(connection: Pick<Connection, 'remoteAddr' | 'limits'>): number {
  return connection.limits != null || connectionKind(connection) === 'relayed' ? 1 : 0
}

/** The parts of a libp2p node the sync adapter uses. */
export type SyncLibp2p = Pick<Libp2p, 'peerId' | 'handle' | 'unhandle' | 'register' | 'unregister' | 'getConnections' | 'peerStore'>

/** Options of {@link Libp2pSyncAdapter}. */
export interface SyncAdapterInit {
  libp2p: SyncLibp2p
  /** Largest frame body accepted or sent, in bytes. Default 16 MiB. */
  maxFrameBytes?: number
  /** Bytes queued for a peer that does not read before its stream is reset. Default 4 frames' worth. */
  maxSendQueueBytes?: number
  /** Sync streams a peer may open on one connection (more are refused by libp2p). Default {@link DEFAULT_MAX_SYNC_STREAMS}. */
  maxInboundStreams?: number
  /** Sync streams we may open on one connection. Default {@link DEFAULT_MAX_SYNC_STREAMS}. */
  maxOutboundStreams?: number
  /** Where rejected frames are reported. Default: one line on stderr. */
  log?: (entry: SyncLogEntry) => void
}

/**
 * An automerge-repo network adapter that carries repo messages over libp2p streams of `/quire/sync/1.0.0`:
 * one stream per connected peer, varint-length-prefixed CBOR frames, a hello frame first. The repo's peer
 * id is the libp2p peer id, which noise has authenticated, so access checks can trust `senderId`.
 */
export class Libp2pSyncAdapter extends NetworkAdapter {
  readonly stats: SyncStats = emptySyncStats()
  readonly #libp2p: SyncLibp2p
  readonly #self: string
  readonly #maxFrameBytes: number
  readonly #maxSendQueueBytes: number
  readonly #log: (entry: SyncLogEntry) => void
  readonly #maxInboundStreams: number
  readonly #maxOutboundStreams: number
  /** The one live stream per remote peer. */
  readonly #links = new Map<string, SyncLink>()
  /** Peers the repo has been told about with `peer-candidate` and not yet with `peer-disconnected`. */
  readonly #announced = new Set<string>()
  /**
   * The connection a sync stream to each peer is being opened on. One open at a time per peer (Y2): two in
   * flight on equal connections reach the peer in either order, and if each end kept the one it saw last,
   * the two would close each other's stream and reopen forever.
   */
  readonly #opening = new Map<string, Connection>()
  /** Peers whose streams we do not read for now ({@link pausePeer}). */
  readonly #paused = new Set<string>()
  #topologyId: string | undefined
  #started = false
  #connected = false
  #stopped = false
  #readyResolve!: () => void
  readonly #ready = new Promise<void>((resolve) => {
    this.#readyResolve = resolve
  })

  constructor(init: SyncAdapterInit) {
    super()
    this.#libp2p = init.libp2p
    this.#self = init.libp2p.peerId.toString()
    this.#maxFrameBytes = init.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    this.#maxSendQueueBytes = init.maxSendQueueBytes ?? 4 * this.#maxFrameBytes
    this.#log = init.log ?? defaultSyncLog
    this.#maxInboundStreams = init.maxInboundStreams ?? DEFAULT_MAX_SYNC_STREAMS
    this.#maxOutboundStreams = init.maxOutboundStreams ?? DEFAULT_MAX_SYNC_STREAMS
  }

  /**
   * Registers the protocol handler and the topology. Call before handing the adapter to a Repo: streams a
   * peer opens from then on are accepted and held (paused) until the repo calls {@link connect}.
   */
  async start(): Promise<void> {
    if (this.#started) return
    this.#started = true
    await this.#libp2p.handle(SYNC_PROTOCOL, (stream, connection) => this.#accept(stream, connection), {
      runOnLimitedConnection: true,
      maxInboundStreams: this.#maxInboundStreams,
      maxOutboundStreams: this.#maxOutboundStreams,
    })
    this.#topologyId = await this.#libp2p.register(SYNC_PROTOCOL, {
      notifyOnLimitedConnection: true,
      onConnect: (peerId, connection) => this.#onPeerConnect(peerId, connection),
    })
    // The topology only reports connections made from now on.
    for (const connection of this.#libp2p.getConnections()) {
      const peer = await this.#libp2p.peerStore.get(connection.remotePeer).catch(() => undefined)
      if (peer?.protocols.includes(SYNC_PROTOCOL)) this.#onPeerConnect(connection.remotePeer, connection)
    }
    this.#markReadyIfDone()
  }

  override isReady(): boolean {
    return this.#started && this.#connected && this.#topologyId !== undefined
  }

  override whenReady(): Promise<void> {
    return this.#ready
  }

  override connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    if (peerId !== this.#self) {
      throw new Error(`the repo's peer id ${peerId} must be the libp2p peer id ${this.#self}: create the Repo with createQuireRepo`)
    }
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    this.#connected = true
    // A repo handed an adapter nobody started: start it now; ready follows once registration is done.
    if (!this.#started) void this.start().catch((err: unknown) => console.error('[quire-sync] could not start the sync adapter', err))
    for (const link of this.#links.values()) {
      link.sendHello(this.#hello())
      if (!this.#paused.has(link.remote)) link.resume()
    }
    this.#markReadyIfDone()
  }

  override send(message: Message): void {
    const link = this.#links.get(message.targetId)
    if (link === undefined || !link.established) return
    link.sendMessage(message)
  }

  override disconnect(): void {
    if (this.#stopped) return
    this.#stopped = true
    if (this.#topologyId !== undefined) this.#libp2p.unregister(this.#topologyId)
    void this.#libp2p.unhandle(SYNC_PROTOCOL).catch(() => {})
    for (const link of [...this.#links.values()]) link.close()
    this.emit('close')
  }

  /**
   * Stops reading `peerId`'s sync stream until {@link resumePeer}: its frames wait in libp2p's read buffer
   * and yamux stops granting it send window, so the peer itself slows down. A receiver that cannot keep up
   * with one peer (a relay whose disk lags a flood) uses it to keep that peer from crowding out the others.
   * Holds for a stream that replaces the current one too.
   */
  pausePeer(peerId: string): void {
    this.#paused.add(peerId)
    const link = this.#links.get(peerId)
    if (link !== undefined && !link.closed) link.pause()
  }

  /** Reads `peerId`'s sync stream again (frames buffered meanwhile are handled in order). */
  resumePeer(peerId: string): void {
    if (!this.#paused.delete(peerId)) return
    const link = this.#links.get(peerId)
    if (link !== undefined && !link.closed && this.#connected) link.resume()
  }

  /** The remote peer ids with an established sync stream. */
  get peers(): string[] {
    return [...this.#announced]
  }

  #markReadyIfDone(): void {
    if (this.isReady()) this.#readyResolve()
  }

  #hello(): HelloFrame {
    return { type: 'quire-hello', version: SYNC_PROTOCOL_VERSION, peerId: this.#self, metadata: this.peerMetadata ?? {} }
  }

  // Tie-break: the peer whose id sorts first opens the stream, so two peers that connect at once do not
  // both open one. A peer that opens anyway is accepted, and `#preferred` picks the same survivor on both
  // sides when two streams meet.
  // A stream already running stays, unless it runs over a relayed connection and this one is direct (Y27):
  // a WebRTC dial through a relay first opens a relayed connection to the peer (its signaling path), and
  // the stream opened on that would otherwise carry the pair's sync through the relay for as long as it lives.
  #onPeerConnect(peerId: Libp2pPeerId, connection: Connection): void {
    const remote = peerId.toString()
    if (this.#stopped || this.#self > remote) return
    const current = this.#links.get(remote)
    if (current !== undefined && !current.closed && syncPathRank(current.connection) <= syncPathRank(connection)) return
    const pending = this.#opening.get(remote)
    if (pending !== undefined && syncPathRank(pending) <= syncPathRank(connection)) return
    void this.#open(connection)
  }

  /**
   * Opens the sync stream on `connection`. If that fails (the connection was closing: the peer closed it
   * first, or a duplicate link was just retired) and no stream to the peer is live, tries the best other
   * open connection to it (Y27): no further connection event may come to try again.
   */
  async #open(connection: Connection, tried: ReadonlySet<string> = new Set()): Promise<void> {
    const remote = connection.remotePeer.toString()
    this.#opening.set(remote, connection)
    let stream: Stream
    try {
      stream = await connection.newStream(SYNC_PROTOCOL, { runOnLimitedConnection: true })
    } catch {
      const superseded = this.#opening.get(remote) !== connection
      if (!superseded) this.#opening.delete(remote)
      const live = this.#links.get(remote)
      if (this.#stopped || superseded || (live !== undefined && !live.closed)) return
      const failed = new Set([...tried, connection.id])
      const next = this.#bestConnection(remote, failed)
      if (next !== undefined) void this.#open(next, failed)
      return
    }
    if (this.#opening.get(remote) === connection) this.#opening.delete(remote)
    this.#attach(stream, connection, this.#self)
  }

  /** The open connection to `remote` the sync stream should use (Y27): direct before relayed, then the oldest. */
  #bestConnection(remote: string, exclude: ReadonlySet<string> = new Set()): Connection | undefined {
    const candidates = this.#libp2p.getConnections()
      .filter((c) => c.remotePeer.toString() === remote && c.status === 'open' && !exclude.has(c.id))
    candidates.sort((a, b) => syncPathRank(a) - syncPathRank(b) || a.timeline.open - b.timeline.open)
    return candidates[0]
  }

  #accept(stream: Stream, connection: Connection): void {
    this.#attach(stream, connection, connection.remotePeer.toString())
  }

  /** The connection the live sync stream to `peerId` runs over, if there is one. */
  connectionOf(peerId: string): Connection | undefined {
    const link = this.#links.get(peerId)
    return link === undefined || link.closed ? undefined : link.connection
  }

  #attach(stream: Stream, connection: Connection, openedBy: string): void {
    const remote = connection.remotePeer.toString()
    if (this.#stopped) {
      stream.abort(new Error('sync adapter stopped'))
      return
    }
    const link = new SyncLink(stream, connection, {
      self: this.#self,
      remote,
      openedBy,
      maxFrameBytes: this.#maxFrameBytes,
      maxSendQueueBytes: this.#maxSendQueueBytes,
      stats: this.stats,
      handlers: {
        onHello: (l, hello) => this.#onHello(l, hello),
        onMessage: (l, message) => this.#onMessage(l, message),
        onClose: (l, error) => this.#onClose(l, error),
        onOversized: (l, bytes) => this.#log({
          code: 'FRAME_TOO_LARGE', peer: l.remote,
          message: `not sending a ${bytes}-byte message: it exceeds the ${this.#maxFrameBytes}-byte frame limit`,
        }),
      },
    })
    const current = this.#links.get(remote)
    if (current !== undefined && !current.closed) {
      if (this.#preferred(current, link) === current) {
        link.close()
        return
      }
      this.#retire(current)
    }
    this.#links.set(remote, link)
    if (this.#connected) link.sendHello(this.#hello())
    if (!this.#connected || this.#paused.has(remote)) link.pause()
  }

  /**
   * Of two streams to one peer, keep the one on the better connection (Y27: direct before relayed); then the
   * one opened by the peer whose id sorts first; else the newer. Both ends see the same connection the same
   * way, so they keep the same stream.
   */
  #preferred(a: SyncLink, b: SyncLink): SyncLink {
    const rank = syncPathRank(a.connection) - syncPathRank(b.connection)
    if (rank !== 0) return rank < 0 ? a : b
    const opener = this.#self < a.remote ? this.#self : a.remote
    if (a.openedBy === opener && b.openedBy !== opener) return a
    if (b.openedBy === opener && a.openedBy !== opener) return b
    return b
  }

  #retire(link: SyncLink): void {
    this.#links.delete(link.remote)
    this.#disannounce(link.remote)
    link.close()
  }

  #onHello(link: SyncLink, hello: HelloFrame): void {
    if (this.#links.get(link.remote) !== link) return
    this.emit('peer-candidate', { peerId: link.remote as PeerId, peerMetadata: hello.metadata })
    this.#announced.add(link.remote)
  }

  #onMessage(link: SyncLink, message: Message): void {
    if (this.#links.get(link.remote) !== link || !this.#announced.has(link.remote)) return
    try {
      this.emit('message', message)
    } catch (err) {
      // A fault in the repo is ours, not the peer's: keep the stream.
      console.error('[quire-sync] repo failed to take a message', err)
    }
  }

  #onClose(link: SyncLink, error?: SyncError): void {
    if (error !== undefined) this.#log({ code: error.code, peer: link.remote, message: error.message })
    if (this.#links.get(link.remote) !== link) return
    this.#links.delete(link.remote)
    this.#disannounce(link.remote)
    if (!this.#stopped && error === undefined) this.#reopenIfStillConnected(link.remote)
  }

  #disannounce(remote: string): void {
    if (this.#announced.delete(remote)) this.emit('peer-disconnected', { peerId: remote as PeerId })
  }

  // A stream can close while its connection lives on (the peer's repo restarted, or another connection
  // replaced it): the opener opens a fresh one, on the best connection left (Y27), so the pair keeps syncing.
  #reopenIfStillConnected(remote: string): void {
    if (this.#self > remote || this.#opening.has(remote)) return
    const connection = this.#bestConnection(remote)
    if (connection !== undefined) void this.#open(connection)
  }
}
