import { join } from 'node:path'
import { next as A } from '@automerge/automerge'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'
import { ClassicLevel } from 'classic-level'
import { LevelStorageAdapter } from '@quire/crdt'
import { peerIdFromString } from '@libp2p/peer-id'
import { createQuireRepo, type QuireRepo, type SyncStats } from '../sync/index.js'
import { BlobService, BlobStore } from '../blob/index.js'
import { PeerCommandError, type CommandModule } from './peer-context.js'
import { num, obj, str } from './peer-params.js'

/** Params and results of the sync commands, for typed `PeerProcess.request` calls. */
export interface SyncCommandTypes {
  /** Starts the repo (documents in classic-level under the data directory); idempotent. */
  syncStart: { params: { maxFrameBytes?: number } | undefined; result: { peerId: string } }
  /** Creates a document with the given JSON value; returns its URL. */
  syncCreate: { params: { value: Record<string, unknown> }; result: string }
  /** Sets `doc[key] = value`. */
  syncSet: { params: { url: string; key: string; value: unknown }; result: null }
  /** Appends `item` to the list `doc[key]` (created if missing). */
  syncPush: { params: { url: string; key: string; item: unknown }; result: null }
  /** The document as JSON; waits for it to be found (locally or from a peer). */
  syncRead: { params: { url: string; timeoutMs?: number }; result: unknown }
  /**
   * Waits until `doc[key]` equals `equals` (as JSON), or, given `length` instead, until the list `doc[key]`
   * has that many items; returns the document.
   */
  syncWaitFor: { params: { url: string; key: string; equals?: unknown; length?: number; timeoutMs?: number }; result: unknown }
  /** Peer ids the repo is syncing with. */
  syncPeers: { params: undefined; result: string[] }
  syncStats: { params: undefined; result: SyncStats }
  /** Starts `/quire/blob/1.0.0` with a store in the same database as the documents; idempotent. */
  blobStart: { params: { maxBlobBytes?: number } | undefined; result: null }
  /** Stores bytes (base64) locally; returns their hash. */
  blobPutLocal: { params: { base64: string }; result: string }
  /** Fetches a blob from a connected peer (verified and stored); returns its bytes as base64. */
  blobFetch: { params: { peerId: string; hash: string; timeoutMs?: number }; result: string }
  /** Sends bytes (base64) to a peer to store; returns their hash. */
  blobPush: { params: { peerId: string; base64: string; timeoutMs?: number }; result: string }
}


/** Commands that drive a Quire repo synced over `/quire/sync/1.0.0` in a peer process. */
export const syncCommands: CommandModule = (ctx) => {
  // One database per peer for documents and blobs; closed last (stop hooks run in reverse order).
  let db: ClassicLevel<string, Uint8Array> | undefined
  const database = (): ClassicLevel<string, Uint8Array> => {
    if (db === undefined) {
      const opened = new ClassicLevel<string, Uint8Array>(join(ctx.dataDir, 'db'))
      ctx.onStop(() => opened.close())
      db = opened
    }
    return db
  }
  let blobs: Promise<{ service: BlobService; store: BlobStore }> | undefined
  const blob = async (): Promise<{ service: BlobService; store: BlobStore }> => {
    if (blobs === undefined) throw new PeerCommandError('BLOB_NOT_STARTED', 'call blobStart first')
    return blobs
  }
  let started: Promise<QuireRepo> | undefined
  const repo = async (): Promise<QuireRepo> => {
    if (started === undefined) throw new PeerCommandError('SYNC_NOT_STARTED', 'call syncStart first')
    return started
  }
  const find = async (params: unknown): Promise<DocHandle<Record<string, unknown>>> => {
    const q = await repo()
    const signal = AbortSignal.timeout(num(params, 'timeoutMs', 20_000))
    return q.repo.find<Record<string, unknown>>(str(params, 'url') as AutomergeUrl, { signal })
  }

  return {
    syncStart: async (params) => {
      started ??= (async () => {
        const maxFrameBytes = obj(params).maxFrameBytes
        // The database is shared with blobs and closed last; the adapter only finishes its own writes.
        const storage = new LevelStorageAdapter(database(), { sublevel: 'docs', closeDatabase: false })
        const q = await createQuireRepo({
          libp2p: ctx.node,
          storage,
          ...(typeof maxFrameBytes === 'number' && { maxFrameBytes }),
          log: (e) => ctx.log(`[sync] ${e.code} from ${e.peer}: ${e.message}`),
        })
        // Hooks run in reverse: the repo stops first, then pending saves finish, then the database closes.
        ctx.onStop(() => storage.close())
        ctx.onStop(() => q.stop())
        return q
      })()
      const q = await started
      return { peerId: q.repo.peerId }
    },
    syncCreate: async (params) => {
      const value = obj(params).value
      const handle = (await repo()).repo.create<Record<string, unknown>>(obj(value))
      return handle.url
    },
    syncSet: async (params) => {
      const key = str(params, 'key')
      const value = obj(params).value
      ;(await find(params)).change((d) => { d[key] = value })
      return null
    },
    syncPush: async (params) => {
      const key = str(params, 'key')
      const item = obj(params).item
      ;(await find(params)).change((d) => {
        const list = d[key]
        if (Array.isArray(list)) list.push(item)
        else d[key] = [item]
      })
      return null
    },
    syncRead: async (params) => A.toJS((await find(params)).doc()),
    syncWaitFor: async (params) => {
      const handle = await find(params)
      const key = str(params, 'key')
      const length = obj(params).length
      const want = typeof length === 'number' ? `${length} items` : JSON.stringify(obj(params).equals)
      const timeoutMs = num(params, 'timeoutMs', 20_000)
      const matches = (): boolean => {
        const value = A.toJS(handle.doc())[key]
        return typeof length === 'number' ? Array.isArray(value) && value.length === length : JSON.stringify(value) === want
      }
      if (!matches()) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            handle.off('change', onChange)
            reject(new PeerCommandError('SYNC_WAIT_TIMEOUT', `doc.${key} is ${JSON.stringify(A.toJS(handle.doc())[key])}, not ${want}, after ${timeoutMs} ms`))
          }, timeoutMs)
          const onChange = (): void => {
            if (!matches()) return
            clearTimeout(timer)
            handle.off('change', onChange)
            resolve()
          }
          handle.on('change', onChange)
        })
      }
      return A.toJS(handle.doc())
    },
    syncPeers: async () => (await repo()).repo.peers,
    syncStats: async () => (await repo()).adapter.stats,
    blobStart: async (params) => {
      blobs ??= (async () => {
        const store = new BlobStore(database(), { sublevel: 'blobs' })
        const maxBlobBytes = obj(params).maxBlobBytes
        const service = new BlobService({ libp2p: ctx.node, store, ...(typeof maxBlobBytes === 'number' && { maxBlobBytes }) })
        await service.start()
        ctx.onStop(() => service.stop())
        return { service, store }
      })()
      await blobs
      return null
    },
    blobPutLocal: async (params) => (await blob()).store.put(Buffer.from(str(params, 'base64'), 'base64')),
    blobFetch: async (params) => {
      const { service } = await blob()
      const signal = AbortSignal.timeout(num(params, 'timeoutMs', 20_000))
      const bytes = await service.fetch(peerIdFromString(str(params, 'peerId')), str(params, 'hash'), { signal })
      return Buffer.from(bytes).toString('base64')
    },
    blobPush: async (params) => {
      const { service } = await blob()
      const signal = AbortSignal.timeout(num(params, 'timeoutMs', 20_000))
      return service.push(peerIdFromString(str(params, 'peerId')), Buffer.from(str(params, 'base64'), 'base64'), { signal })
    },
  }
}
