import { join } from 'node:path'
import { next as A } from '@automerge/automerge'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'
import { ClassicLevel } from 'classic-level'
import { LevelStorageAdapter } from '@quire/crdt'
import { peerIdFromString } from '@libp2p/peer-id'
import { connectionKind, type ConnectionKind } from '../libp2p/index.js'
import { createQuireRepo, type QuireRepo, type SyncStats } from '../sync/index.js'
import { BlobService, BlobStore } from '../blob/index.js'
import { PeerCommandError, type CommandModule } from './peer-context.js'
import { num, obj, str } from './peer-params.js'

/** Params and results of the sync commands, for typed `PeerProcess.request` calls. */
export interface SyncCommandTypes {
  /** Starts the repo (documents in classic-level under the data directory); idempotent. */
  syncStart: { params: { maxFrameBytes?: number; forwarders?: string[] } | undefined; result: { peerId: string } }
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
  /**
   * Makes `count` changes, `delayMs` apart, each appending one item to the list `doc[key]` (as a person
   * types); returns the hash of each change.
   */
  syncType: { params: { url: string; key: string; count: number; delayMs?: number }; result: string[] }
  /**
   * Starts noting, for every change to the document `url` that arrives in a sync message, the peer and
   * connection it came over first.
   */
  syncRecordArrivals: { params: { url: string }; result: null }
  /** What {@link SyncCommandTypes.syncRecordArrivals} noted: per change hash, where it arrived first; and counts of messages with changes per path. */
  syncArrivals: { params: undefined; result: { first: Record<string, SyncPath>; messagesWithChanges: Array<SyncPath & { count: number }> } }
  /** The connection the live sync stream to a peer runs over, or null. */
  syncLinkPath: { params: { peerId: string }; result: { kind: ConnectionKind; limited: boolean } | null }
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

/** A peer and the kind of connection its sync stream ran over. */
export interface SyncPath {
  peer: string
  kind: ConnectionKind
  limited: boolean
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

  const arrivals = { recording: false, first: {} as Record<string, SyncPath>, counts: new Map<string, SyncPath & { count: number }>() }

  return {
    syncStart: async (params) => {
      started ??= (async () => {
        const maxFrameBytes = obj(params).maxFrameBytes
        const forwarders = obj(params).forwarders
        // The database is shared with blobs and closed last; the adapter only finishes its own writes.
        const storage = new LevelStorageAdapter(database(), { sublevel: 'docs', closeDatabase: false })
        const q = await createQuireRepo({
          libp2p: ctx.node,
          storage,
          ...(typeof maxFrameBytes === 'number' && { maxFrameBytes }),
          ...(Array.isArray(forwarders) && { isForwarder: (p: string) => forwarders.includes(p) }),
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
    syncType: async (params) => {
      const handle = await find(params)
      const key = str(params, 'key')
      const delayMs = num(params, 'delayMs', 0)
      const hashes: string[] = []
      for (let i = 0; i < num(params, 'count', 1); i++) {
        if (i > 0 && delayMs > 0) await new Promise((r) => setTimeout(r, delayMs))
        handle.change((d) => {
          const list = d[key]
          if (Array.isArray(list)) list.push(i)
          else d[key] = [i]
        })
        hashes.push(...A.getHeads(handle.doc()))
      }
      return hashes
    },
    syncRecordArrivals: async (params) => {
      const q = await repo()
      if (arrivals.recording) return null
      arrivals.recording = true
      const handle = await find(params)
      // Which changes arrive first in a message: automerge 3 packs several into one chunk that cannot be read
      // alone, so every message is applied, in the order of arrival, to a copy of everything received so far
      // (the repo applies it later, asynchronously); the changes it adds arrived first in it.
      let received = A.clone(handle.doc())
      // Listens where the sync adapter hands a message to the repo: the link it came over is still current.
      q.adapter.on('message', (m) => {
        if ((m.type !== 'sync' && m.type !== 'request') || m.data === undefined) return
        const connection = q.adapter.connectionOf(m.senderId)
        const path: SyncPath = { peer: m.senderId, kind: connection === undefined ? 'direct' : connectionKind(connection), limited: connection?.limits != null }
        if (m.documentId !== handle.documentId) return
        const changes = A.decodeSyncMessage(m.data).changes
        if (changes.length === 0) return
        const key = `${path.peer} ${path.kind} ${path.limited}`
        const count = arrivals.counts.get(key) ?? { ...path, count: 0 }
        count.count++
        arrivals.counts.set(key, count)
        const before = received
        for (const chunk of changes) received = A.loadIncremental(received, chunk)
        for (const change of A.getChanges(before, received)) arrivals.first[A.decodeChange(change).hash] ??= path
      })
      return null
    },
    syncArrivals: () => ({ first: arrivals.first, messagesWithChanges: [...arrivals.counts.values()] }),
    syncLinkPath: async (params) => {
      const connection = (await repo()).adapter.connectionOf(str(params, 'peerId'))
      return connection === undefined ? null : { kind: connectionKind(connection), limited: connection.limits != null }
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
