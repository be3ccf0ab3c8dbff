import { Repo, type PeerId, type RepoConfig, type StorageAdapterInterface } from '@automerge/automerge-repo'
import { enableImmediateSync } from './immediate-sync.js'
import { Libp2pSyncAdapter, type SyncLibp2p } from './libp2p-sync-adapter.js'
import type { SyncLogEntry } from './sync-stats.js'
import { StoppableStorage } from './stoppable-storage.js'

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
  /** Send changes at once instead of after automerge-repo's 100 ms throttle. Default true. */
  immediateSync?: boolean
  log?: (entry: SyncLogEntry) => void
}

/** A Repo wired to libp2p, and what it takes to stop it. */
export interface QuireRepo {
  readonly repo: Repo
  readonly adapter: Libp2pSyncAdapter
  /** Flushes documents to storage and closes every sync stream; the libp2p node keeps running. */
  stop(): Promise<void>
}

/** Creates an automerge-repo Repo that syncs over `/quire/sync/1.0.0` on the given libp2p node. */
export async function createQuireRepo(init: QuireRepoInit): Promise<QuireRepo> {
  const adapter = new Libp2pSyncAdapter({
    libp2p: init.libp2p,
    ...(init.maxFrameBytes !== undefined && { maxFrameBytes: init.maxFrameBytes }),
    ...(init.maxSendQueueBytes !== undefined && { maxSendQueueBytes: init.maxSendQueueBytes }),
    ...(init.log !== undefined && { log: init.log }),
  })
  await adapter.start()
  const config: RepoConfig = {
    peerId: init.libp2p.peerId.toString() as PeerId,
    network: [adapter],
    isEphemeral: init.isEphemeral ?? false,
  }
  const storage = init.storage === undefined ? undefined : new StoppableStorage(init.storage)
  if (storage !== undefined) config.storage = storage
  if (init.shareConfig !== undefined) config.shareConfig = init.shareConfig
  if (init.sharePolicy !== undefined) config.sharePolicy = init.sharePolicy
  const repo = new Repo(config)
  const stopImmediate = init.immediateSync === false ? () => {} : enableImmediateSync(repo)
  let stopped: Promise<void> | undefined
  return {
    repo,
    adapter,
    stop: () => {
      stopped ??= (async () => {
        stopImmediate()
        await repo.shutdown()
        storage?.retire()
      })()
      return stopped
    },
  }
}
