import { Repo, type NetworkAdapterInterface, type PeerId, type RepoConfig, type StorageAdapterInterface } from '@automerge/automerge-repo'
import { UnavailableEcho, type UnavailableEchoStats } from './unavailable-echo.js'
import { EmptySyncThrottle, type EmptySyncStats } from './empty-sync-throttle.js'
import { enableImmediateSync } from './immediate-sync.js'
import { Libp2pSyncAdapter, type SyncLibp2p } from './libp2p-sync-adapter.js'
import type { SyncLogEntry } from './sync-stats.js'
import { StoppableStorage } from './stoppable-storage.js'

/** Puts an adapter around `inner` (see `QuireRepoInit.wrapNetwork`). */
export type NetworkWrapper = (inner: NetworkAdapterInterface, repo: () => Repo) => NetworkAdapterInterface

/** Options of {@link createQuireRepo}. */
export interface QuireRepoInit {
  /** A started libp2p node; its peer id becomes the repo's peer id. */
  libp2p: SyncLibp2p
  /** Where documents live: `LevelStorageAdapter` from `@quire/crdt` in every real peer. Omit for memory only. */
  storage?: StorageAdapterInterface
  /** Browsers and other short-lived peers: other peers need not keep our sync state. */
  isEphemeral?: boolean
  /** Which documents to offer and to serve to which peer (the access layer plugs in here). */
  shareConfig?: RepoConfig['shareConfig']
  sharePolicy?: RepoConfig['sharePolicy']
  /** Largest sync frame accepted or sent. Default 16 MiB. */
  maxFrameBytes?: number
  /** Bytes queued for a peer that does not read before its stream is reset. Default 4 × `maxFrameBytes`. */
  maxSendQueueBytes?: number
  /** Sync streams one connection may carry in each direction (Y22). Default {@link DEFAULT_MAX_SYNC_STREAMS}. */
  maxInboundStreams?: number
  maxOutboundStreams?: number
  /** Send changes at once instead of after automerge-repo's 100 ms throttle. Default true. */
  immediateSync?: boolean
  /**
   * At most one sync message without changes per peer, document and direction in this many ms, the latest
   * (Y26). Default {@link DEFAULT_EMPTY_SYNC_INTERVAL_MS}; 0 lets every one through.
   */
  emptySyncIntervalMs?: number
  /**
   * Puts network adapters between the repo and the libp2p sync adapter, e.g. the access write filter
   * (strips changes from peers without a write grant) and the relay's durable acknowledgements (hold
   * outgoing sync messages until the disk has them). A list is applied in order: the first wraps the libp2p
   * adapter, the next wraps that, and the last is what the repo talks to, so the repo sees incoming messages
   * after every wrapper has checked them. `repo()` returns the Repo once it exists (call it from the
   * wrapper's methods, not at once). Immediate sending goes through the wrappers too, since it sends
   * through the repo's network subsystem.
   */
  wrapNetwork?: NetworkWrapper | readonly NetworkWrapper[]
  /**
   * Peers that forward changes to others (the relays a browser uses). Immediate sending hands a change to
   * every other peer first (Y28): a member linked to us directly gets it over that link before a relay's
   * copy can reach it. Read on every flush, so it may change.
   */
  isForwarder?: (peerId: string) => boolean
  log?: (entry: SyncLogEntry) => void
}

/** A Repo wired to libp2p, and what it takes to stop it. */
export interface QuireRepo {
  readonly repo: Repo
  readonly adapter: Libp2pSyncAdapter
  /** What the repo talks to: `adapter`, or what `wrapNetwork` made of it. */
  readonly network: NetworkAdapterInterface
  /** Empty sync messages held back (Y26). */
  readonly emptySync: EmptySyncStats
  /** `doc-unavailable` echoes not sent (Y29). */
  readonly unavailableEcho: UnavailableEchoStats
  /** Flushes documents to storage and closes every sync stream; the libp2p node keeps running. */
  stop(): Promise<void>
}

/** See `QuireRepoInit.emptySyncIntervalMs`. */
export const DEFAULT_EMPTY_SYNC_INTERVAL_MS = 50

/** Creates an automerge-repo Repo that syncs over `/quire/sync/1.0.0` on the given libp2p node. */
export async function createQuireRepo(init: QuireRepoInit): Promise<QuireRepo> {
  const adapter = new Libp2pSyncAdapter({
    libp2p: init.libp2p,
    ...(init.maxFrameBytes !== undefined && { maxFrameBytes: init.maxFrameBytes }),
    ...(init.maxSendQueueBytes !== undefined && { maxSendQueueBytes: init.maxSendQueueBytes }),
    ...(init.maxInboundStreams !== undefined && { maxInboundStreams: init.maxInboundStreams }),
    ...(init.maxOutboundStreams !== undefined && { maxOutboundStreams: init.maxOutboundStreams }),
    ...(init.log !== undefined && { log: init.log }),
  })
  await adapter.start()
  let repo: Repo | undefined
  const repoOf = (): Repo => {
    if (repo === undefined) throw new Error('wrapNetwork: the repo is not created yet; call repo() later, not while wrapping')
    return repo
  }
  const wrappers = init.wrapNetwork === undefined ? [] : typeof init.wrapNetwork === 'function' ? [init.wrapNetwork] : init.wrapNetwork
  // Nearest the wire, so that it sees what peers really send and what leaves after every wrapper.
  const throttle = new EmptySyncThrottle(adapter, { intervalMs: init.emptySyncIntervalMs ?? DEFAULT_EMPTY_SYNC_INTERVAL_MS })
  // Next to the wire too: what it remembers is what the peer really said last (Y29).
  const echo = new UnavailableEcho(throttle)
  let network: NetworkAdapterInterface = echo
  for (const wrap of wrappers) network = wrap(network, repoOf)
  const config: RepoConfig = {
    peerId: init.libp2p.peerId.toString() as PeerId,
    network: [network],
    isEphemeral: init.isEphemeral ?? false,
  }
  const storage = init.storage === undefined ? undefined : new StoppableStorage(init.storage)
  if (storage !== undefined) config.storage = storage
  if (init.shareConfig !== undefined) config.shareConfig = init.shareConfig
  if (init.sharePolicy !== undefined) config.sharePolicy = init.sharePolicy
  const created = (repo = new Repo(config))
  const isForwarder = init.isForwarder
  const stopImmediate = init.immediateSync === false ? () => {} : enableImmediateSync(created, isForwarder === undefined ? {} : { isForwarder })
  let stopped: Promise<void> | undefined
  return {
    repo: created,
    adapter,
    network,
    emptySync: throttle.stats,
    unavailableEcho: echo.stats,
    stop: () => {
      stopped ??= (async () => {
        stopImmediate()
        try {
          await created.shutdown()
        } finally {
          storage?.retire()
        }
      })()
      return stopped
    },
  }
}
