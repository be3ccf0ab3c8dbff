import { next as A } from '@automerge/automerge'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import type { DocumentId, Message, NetworkAdapterInterface, Repo } from '@automerge/automerge-repo'
import { LevelStorageAdapter } from '@quire/crdt'
import { accessWriteFilter, announceProject, createQuireNode, createQuireRepo, loadOrCreateIdentity, ProjectIndex, serveHostingRequests, type AccessWriteFilter } from '@quire/node'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import type { RelayConfig } from './config/relay-config.js'
import { RelayError } from './errors.js'
import { DurableAckAdapter } from './hosting/durable-ack-adapter.js'
import { DocUnloader } from './hosting/doc-unloader.js'
import { FloodGuard } from './hosting/flood-guard.js'
import { GrantHosting } from './hosting/grant-hosting.js'
import { DEFAULT_GRANT_QUOTAS, GrantQuotas } from './hosting/grant-quotas.js'
import { Federation, federationPeerIds } from './hosting/federation.js'
import { resyncOnNewSession } from './hosting/session-resync.js'
import { HostingIndex } from './hosting/hosting-index.js'
import { HostingPolicy } from './hosting/hosting-policy.js'
import { watchProjects } from './hosting/project-links.js'
import { attachHttp, browserAddresses, httpRoutes } from './http/http-routes.js'
import type { HttpGuardStats } from './http/http-guard.js'
import type { RelayStats } from './relay-stats.js'

/** Options of {@link startRelay} that are not configuration. */
export interface StartRelayOptions {
  /** Where the relay's log lines go. Default: stderr. */
  log?: (line: string) => void
}

/** A running relay. */
export interface RelayHandle {
  /** The relay's libp2p peer id (stable: its key is in the data directory). */
  readonly peerId: string
  /** The multiaddrs the relay listens on (or announces), each ending in `/p2p/<peer id>`. */
  readonly addresses: string[]
  /** `http://host:port` of every WebSocket listener, which also answers /healthz, /metrics and the web app. */
  readonly httpUrls: string[]
  /** The automerge-repo Repo (for embedding programs and tests). */
  readonly repo: Repo
  stats(): RelayStats
  /** Writes every document to disk, closes every connection and the database. Idempotent. */
  stop(): Promise<void>
}

/** Starts a relay as configured; see {@link RelayConfig}. Resolves once it listens. */
export async function startRelay(config: RelayConfig, options: StartRelayOptions = {}): Promise<RelayHandle> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'))
  const started = Date.now()
  const federationIds = federationPeerIds(config.peers)
  try {
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new RelayError('RELAY_DATA_DIR_UNAVAILABLE', `cannot create the data directory ${config.dataDir} (${(err as Error).message}); choose another with --data-dir`, { cause: err })
  }
  const privateKey = await loadOrCreateIdentity(config.dataDir)
  const db = new ClassicLevel<string, Uint8Array>(join(config.dataDir, 'db'))
  try {
    await db.open()
  } catch (err) {
    const locked = (err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED'
    throw new RelayError('RELAY_DATA_DIR_UNAVAILABLE', locked
      ? `the database in ${config.dataDir} is in use by another process (is another relay running on this data directory?)`
      : `cannot open the database in ${config.dataDir} (${(err as Error).message})`, { cause: err })
  }
  const cleanup: Array<() => Promise<void> | void> = [() => db.close()]
  const undo = async (): Promise<void> => {
    for (const c of cleanup.splice(0).reverse()) await Promise.resolve(c()).catch(() => {})
  }
  try {
    const index = await HostingIndex.open(db)
    const self = peerIdFromPrivateKey(privateKey).toString()
    // Membership of the projects hosted by grants (RL16); it also drives the write filter (A28).
    const projectIndex = new ProjectIndex({ onProblem: (p) => log(`[quire-relay] ${p.code} in project ${p.project}: ${p.message}`) })
    cleanup.push(() => projectIndex.stop())
    const announcements: Array<{ stop(): void }> = []
    let announce: (project: DocumentId) => void = () => {}
    const quotas = config.hosting.mode === 'grants'
      ? await GrantQuotas.open(db, { ...DEFAULT_GRANT_QUOTAS, ...config.hosting.quotas })
      : undefined
    let policyOf: () => HostingPolicy | undefined = () => undefined
    const grants = config.hosting.mode === 'grants'
      ? await GrantHosting.open({
        db, index: projectIndex, self, log, onHosted: (p) => announce(p), ...(quotas !== undefined && { quotas }),
        onRefusal: (r, peer, project) => policyOf()?.recordRefusal({ ...r, peer, documentId: project }),
      })
      : undefined
    const policy = new HostingPolicy({
      config: config.hosting, index, federation: federationIds,
      ...(grants !== undefined && { grants }),
      ...(quotas !== undefined && { quotas }),
      log: (r) => log(`[quire-relay] ${r.code}: refused document ${r.documentId} to peer ${r.peer}: ${r.message}`),
    })
    policyOf = () => policy
    const node = await createQuireNode({
      role: 'relay',
      privateKey,
      listen: config.listen,
      ...(config.announce.length > 0 && { announce: config.announce }),
      ...(config.bootstrap.length + config.peers.length > 0 && { bootstrap: [...config.bootstrap, ...config.peers] }),
      allowLoopback: config.allowLoopback,
      // libp2p refuses inbound connections past these limits before upgrading them (and prunes the least
      // valuable ones past maxConnections). The per-host rate and the pending cap are set for a relay (RL54,
      // see DEFAULT_LIMITS): libp2p's own defaults refuse most of a NAT's worth of peers reconnecting at once.
      connectionManager: {
        maxConnections: config.limits.maxConnections,
        inboundConnectionThreshold: config.limits.inboundConnectionThreshold,
        maxIncomingPendingConnections: config.limits.maxIncomingPendingConnections,
        // One address stalling its upgrades (silent sockets) must not take every pending slot (RL55, RL56).
        maxIncomingPendingConnectionsPerHost: config.limits.maxIncomingPendingConnectionsPerHost,
        inboundUpgradeTimeout: config.limits.inboundUpgradeTimeoutMs,
      },
      relayLimits: {
        maxReservations: config.limits.maxReservations,
        reservationTtlMs: config.limits.reservationTtlMs,
        connectionDurationMs: config.limits.relayedConnectionDurationMs,
        connectionDataBytes: config.limits.relayedConnectionDataBytes,
      },
    })
    cleanup.push(() => node.stop())
    // Federated relays are the last connections libp2p prunes when it is at its limit.
    for (const id of federationIds) {
      await node.peerStore.merge(peerIdFromString(id), { tags: { 'quire-federation': { value: 100 } } }).catch(() => {})
    }

    // Writes are fsynced (`sync: true`): a change is acknowledged only once it is on disk.
    const storage = new LevelStorageAdapter(db, { sublevel: 'docs', sync: true, closeDatabase: false })
    let unloader: DocUnloader | undefined
    const touch = (m: Message): void => {
      if ('documentId' in m && m.documentId !== undefined) unloader?.touch(m.documentId)
    }
    let network!: DurableAckAdapter
    let writeFilter: AccessWriteFilter | undefined
    let guard: FloodGuard | undefined
    const q = await createQuireRepo({
      libp2p: node,
      storage,
      isEphemeral: false,
      shareConfig: { announce: policy.announce, access: policy.access },
      maxFrameBytes: config.limits.maxFrameBytes,
      log: (e) => log(`[quire-relay] ${e.code} from ${e.peer}: ${e.message}`),
      // The write filter only under grants hosting: it enforces the projects the relay tracks, and the other
      // modes track none.
      wrapNetwork: [...(grants === undefined ? [] : [accessWriteFilter({
        index: projectIndex,
        onCreate: (f) => { writeFilter = f },
        log: (d) => log(`[quire-relay] ${d.code}: dropped ${d.changes} changes to document ${d.documentId} from peer ${d.peer}, who may not write project ${d.project}`),
      })]), (inner: NetworkAdapterInterface, repoOf: () => Repo) => (network = new DurableAckAdapter({
        inner,
        persist: async (documentId) => {
          // Nothing to write for a document that is not loaded or not ready (still being requested).
          const repo = repoOf()
          if (repo.handles[documentId]?.isReady() === true) await repo.flush([documentId])
        },
        hasHeads: (documentId, heads) => {
          const handle = repoOf().handles[documentId]
          return handle?.isReady() === true && A.hasHeads(handle.doc(), heads)
        },
        heads: (documentId) => {
          const handle = repoOf().handles[documentId]
          return handle?.isReady() === true ? A.getHeads(handle.doc()) : undefined
        },
        admit: (m) => {
          touch(m)
          guard?.note(m.senderId)
          return policy.admit(m)
        },
        log,
      }))],
    })
    guard = new FloodGuard({ flow: q.adapter, diskLagMs: () => network.writeLagMs() })
    cleanup.push(() => q.stop())
    const repo = q.repo
    await projectIndex.attach(repo)
    const projects = watchProjects({ repo, policy, log })
    unloader = new DocUnloader({
      repo, maxLoaded: config.limits.maxLoadedDocuments, idleMs: config.limits.idleUnloadMs,
      isBackgroundPeer: (p) => policy.isFederated(p),
      // Project documents stay loaded (their links are followed), and so does a document whose
      // acknowledgements are waiting for the disk.
      isPinned: (id) => projects.isPinned(id) || grants?.isPinned(id) === true || network.holding(id as DocumentId),
    })
    const federation = new Federation({
      node, repo, peers: config.peers, log,
      documents: () => [...new Set([...index.documentIds(), ...policy.named])],
    })
    repo.networkSubsystem.on('peer', ({ peerId }) => federation.syncPeerConnected(peerId))
    // A reconnected member is told the relay's heads again, not left with a stale acknowledgement (RL60).
    const stopResync = resyncOnNewSession(repo, policy.access)
    federation.start()
    // Members find the relays that host their project through DHT provider records.
    const announced = new Set<string>()
    announce = (id) => {
      if (announced.has(id)) return
      announced.add(id)
      announcements.push(announceProject(node, id))
    }
    for (const id of policy.projects) announce(id)
    const hostService = grants === undefined ? undefined : await serveHostingRequests({ libp2p: node, handle: (request, from) => grants.register(request, from) })
    await grants?.start(repo)

    let componentsStopped = false
    const stopComponents = (): void => {
      if (componentsStopped) return
      componentsStopped = true
      projects.stop()
      grants?.stop()
      void hostService?.stop().catch(() => {})
      for (const a of announcements) a.stop()
      federation.stop()
      stopResync()
      unloader?.stop()
      guard?.stop()
    }
    cleanup.push(stopComponents)

    const stats = (): RelayStats => ({
      peerId: node.peerId.toString(),
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      connectedPeers: node.getPeers().length,
      connections: node.getConnections().length,
      syncPeers: repo.peers.length,
      reservations: node.services.relay?.reservations.size ?? 0,
      documentsHosted: new Set([...index.documentIds(), ...policy.named.filter((d) => repo.handles[d]?.isReady())]).size,
      documentsLoaded: unloader?.loaded ?? 0,
      documentsUnloaded: unloader?.unloaded ?? 0,
      sync: q.adapter.stats,
      emptySync: q.emptySync,
      unavailableEcho: q.unavailableEcho,
      acks: network.stats,
      peerPauses: guard?.pauses ?? 0,
      http: httpGuardStats(),
      refusals: { ...policy.refusals, ...writeFilter?.stats.refusals },
      ...(quotas !== undefined && { grantQuotas: quotas.stats() }),
      residentMemoryBytes: process.memoryUsage().rss,
    })
    // Filled once the HTTP guards exist (below); stats() is not called before.
    let httpGuardStats = (): HttpGuardStats => ({ open: 0, refused: 0, timedOut: 0 })
    const expectWebSocket = config.listen.some((a) => /\/ws(\/|$)/.test(a))
    const quireJson = (): Record<string, unknown> => ({
      ...config.webConfig,
      relay: { peerId: self, addrs: browserAddresses(node.getMultiaddrs().map((a) => a.toString()), self) },
    })
    const attached = attachHttp(node, httpRoutes({ stats, quireJson, ...(config.staticRoot !== undefined && { staticRoot: config.staticRoot }) }), expectWebSocket, {
      headersTimeoutMs: config.limits.httpHeadersTimeoutMs,
      keepAliveTimeoutMs: config.limits.httpKeepAliveTimeoutMs,
      idleTimeoutMs: config.limits.httpIdleTimeoutMs,
      maxConnections: config.limits.httpMaxConnections,
      maxConnectionsPerHost: config.limits.httpMaxConnectionsPerHost,
    })
    const httpUrls = attached.urls
    httpGuardStats = () => attached.guards.map((g) => g.stats()).reduce((a, b) => ({ open: a.open + b.open, refused: a.refused + b.refused, timedOut: a.timedOut + b.timedOut }), { open: 0, refused: 0, timedOut: 0 })
    cleanup.push(() => { for (const g of attached.guards) g.stop() })

    let stopping: Promise<void> | undefined
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        stopComponents()
        await network.settled()
        const flushReady = (): Promise<void> => repo.flush(Object.values(repo.handles).filter((h) => h.isReady()).map((h) => h.documentId as DocumentId))
          .catch((err: unknown) => log(`[quire-relay] RELAY_PERSIST_FAILED on stop: ${(err as Error).message}`))
        await flushReady()
        // Disconnects the network, writes every document and retires the storage for late sync-state
        // saves (Y18). automerge-repo saves documents on a 100 ms throttle too; let the pending ones run
        // (they find nothing new to write) before the database closes under them.
        // Its flush also tries documents still being requested (automerge-repo throws on those); every
        // ready one was just written, and a failure there is logged above.
        await q.stop().catch(() => {})
        await new Promise((r) => setTimeout(r, 150))
        await index.flushUsage().catch(() => {})
        await quotas?.flush().catch(() => {})
        await undo()
      })()
      return stopping
    }
    return {
      peerId: node.peerId.toString(),
      addresses: node.getMultiaddrs().map((a) => a.toString()),
      httpUrls,
      repo,
      stats,
      stop,
    }
  } catch (err) {
    await undo()
    throw err
  }
}
