/**
 * The browser peer: identity, libp2p node, automerge-repo over IndexedDB with access enforcement, blobs,
 * profile, and the relay keeper. Components reach it through `getSession()` (context.ts). Reactive state
 * (phase, online, errors) uses runes; everything else is set once when the session is ready.
 */
import type { DocumentId, Repo } from '@automerge/automerge-repo'
import type { PrivateKey } from '@libp2p/interface'
import { LevelStorageAdapter, type LevelDatabase } from '@quire/crdt'
import {
  ProjectIndex, accessShareConfig, accessWriteFilter, createQuireRepo, serveRedemptions,
  type QuireNode, type QuireRepo, type TrackProjectOptions,
} from '@quire/node'
import type { BootstrapConfig } from './bootstrap-config.js'
import { startBlobs, type BlobAccess } from './blob-access.js'
import { describeError } from './errors.js'
import { JsonStore } from './json-store.js'
import type { SessionPlatform } from './platform.js'
import { People } from './people.svelte.js'
import { Profile } from './profile.svelte.js'
import { RelayKeeper } from './relay-keeper.js'

export type SessionPhase = 'starting' | 'ready' | 'failed' | 'stopped'

export interface SessionInit {
  readonly platform: SessionPlatform
  readonly bootstrap: BootstrapConfig
  /** Development and tests: allow dialing 127.0.0.1 (a relay on this machine, WebRTC on loopback). */
  readonly allowLoopback?: boolean
}

/** What a ready session holds; created once in `start`. */
interface Core {
  readonly key: PrivateKey
  readonly db: LevelDatabase
  readonly node: QuireNode
  readonly quireRepo: QuireRepo
  readonly index: ProjectIndex
  readonly blobs: BlobAccess
  readonly keeper: RelayKeeper
  readonly stops: Array<() => Promise<void> | void>
}

export class Session {
  phase = $state<SessionPhase>('starting')
  error = $state<string | undefined>(undefined)
  /** False while the person chose to work offline (the node is stopped; documents stay editable). */
  online = $state(true)
  readonly bootstrap: BootstrapConfig
  readonly #init: SessionInit
  #core: Core | undefined
  #profile: Profile | undefined
  #people: People | undefined
  readonly #tracked = new Set<DocumentId>()
  #store: JsonStore | undefined

  constructor(init: SessionInit) {
    this.#init = init
    this.bootstrap = init.bootstrap
  }

  /** Starts everything; on failure `phase` is `failed` and `error` says why (it does not throw). */
  async start(): Promise<void> {
    try {
      const { platform, bootstrap } = this.#init
      const key = await platform.loadIdentity()
      const db = await platform.openDatabase()
      const node = await platform.createNode({
        role: 'browser', privateKey: key, bootstrap: [...bootstrap.relays], allowLoopback: this.#init.allowLoopback ?? false,
      })
      const index = new ProjectIndex()
      const storage = new LevelStorageAdapter(db, { sublevel: 'docs' })
      // Reads and writes are both enforced here, as on every peer: a reader's changes never reach this replica.
      // The relays forward what they get to the other members: a change goes to them last (Y28), so a member
      // linked to this browser directly has it from us before a relay's copy can reach it.
      let relayIds: () => readonly string[] = () => []
      const quireRepo = await createQuireRepo({
        libp2p: node, storage, shareConfig: accessShareConfig({ index }), wrapNetwork: [accessWriteFilter({ index })],
        isForwarder: (peer) => relayIds().includes(peer),
      })
      await index.attach(quireRepo.repo)
      const keeper = new RelayKeeper(node, bootstrap.relays)
      relayIds = () => keeper.relayPeerIds
      const { access, service } = await startBlobs(node, db, index, () => this.#tracked, () => keeper.relayPeerIds)
      // Any admin device accepts invites to the projects it holds, so an invite works while its maker is online.
      const redemptions = await serveRedemptions({ libp2p: node, repo: quireRepo.repo, index, key })
      keeper.start()
      this.#store = new JsonStore(db, 'app')
      this.#profile = new Profile(this.#store, node.peerId.toString())
      await this.#profile.load()
      this.#people = new People(new JsonStore(db, 'people'))
      await this.#people.load()
      const people = this.#people
      this.#core = {
        key, db, node, quireRepo, index, blobs: access, keeper,
        // The index first: it finds documents as links change, and a find after the repo stopped would write to a closed database.
        stops: [() => people.flush(), () => keeper.stop(), () => redemptions.stop(), () => service.stop(), () => index.stop(), () => quireRepo.stop(), () => node.stop(), () => db.close()],
      }
      this.phase = 'ready'
    } catch (err) {
      this.error = describeError(err)
      this.phase = 'failed'
    }
  }

  async stop(): Promise<void> {
    const core = this.#core
    this.#core = undefined
    this.phase = 'stopped'
    for (const stop of core?.stops ?? []) {
      try { await stop() } catch { /* keep stopping the rest */ }
    }
  }

  get #ready(): Core {
    if (this.#core === undefined) throw new Error(`The session is ${this.phase}, not ready: wait for it to start.`)
    return this.#core
  }

  get repo(): Repo { return this.#ready.quireRepo.repo }
  get node(): QuireNode { return this.#ready.node }
  get key(): PrivateKey { return this.#ready.key }
  get index(): ProjectIndex { return this.#ready.index }
  get blobs(): BlobAccess { return this.#ready.blobs }
  get db(): LevelDatabase { return this.#ready.db }
  get appStore(): JsonStore {
    if (this.#store === undefined) throw new Error('The session is not ready.')
    return this.#store
  }
  get peerId(): string { return this.#ready.node.peerId.toString() }
  get profile(): Profile {
    if (this.#profile === undefined) throw new Error('The session is not ready.')
    return this.#profile
  }
  /** Names and colours of the peers met so far. */
  get people(): People {
    if (this.#people === undefined) throw new Error('The session is not ready.')
    return this.#people
  }
  /** Peer ids of the configured relays. */
  get relayPeerIds(): string[] { return this.#core?.keeper.relayPeerIds ?? [] }

  /** Starts enforcing access for a project and loading it; idempotent. */
  async track(project: DocumentId, options: TrackProjectOptions = {}): Promise<void> {
    this.#tracked.add(project)
    await this.#ready.index.track(project, options)
  }

  get trackedProjects(): ReadonlySet<DocumentId> { return this.#tracked }

  /** Dial the relays now (after the network came back, or when the person asks). */
  reconnect(): void {
    this.#core?.keeper.kick()
  }

  /**
   * Work offline (stop the libp2p node; documents stay readable and editable from IndexedDB) or come back
   * online (start it again; automerge-repo merges what changed on both sides).
   */
  async setOnline(online: boolean): Promise<void> {
    const core = this.#ready
    if (online === this.online) return
    this.online = online
    if (online) {
      await core.node.start()
      core.keeper.start()
    } else {
      core.keeper.stop()
      await core.node.stop()
    }
  }
}
