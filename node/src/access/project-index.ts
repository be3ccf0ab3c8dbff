/**
 * Which project a document belongs to, and who may read that project, for the projects this peer takes
 * part in. The peer names those projects itself (`track`): it created them, redeemed an invite to them, or
 * is configured to host or compute for them. Discovering projects by scanning every document it holds
 * would let anyone who can write some project document claim any document id as one of "its" files.
 *
 * For each tracked project the index watches the project document (its links change as files come and go)
 * and the grants document, whose membership is computed on demand and cached by the grants document's
 * heads until the next grant expiry. Whenever links or grants change, or a grant expires, the repo is told
 * to re-evaluate its share decisions, so a revoked member stops getting messages from then on.
 */
import { next as A } from '@automerge/automerge'
import { interpretAsDocumentId, isValidAutomergeUrl, type AnyDocumentId, type DocHandle, type DocumentId, type Repo } from '@automerge/automerge-repo'
import { readGrantsHistory } from '@quire/crdt'
import { canHost, canRead, canWrite } from './capabilities.js'
import { AccessError } from './errors.js'
import { isEd25519PeerId } from './keys.js'
import { computeMembership, type Membership } from './membership.js'
import { readProjectLinks } from './project-links.js'

/** Options of {@link ProjectIndex.track}. */
export interface TrackProjectOptions {
  /**
   * The owner's peer id as this peer knows it (it created the project, or read it from a signed invite).
   * Without it the project document's own (unsigned) `owner` field is trusted on first use.
   */
  readonly owner?: string
  /**
   * Peers treated as readers while this peer has no grants document for the project yet, e.g. the admin
   * device that accepted our invite: without them a new member could fetch the project only from its owner.
   */
  readonly provisionalReaders?: readonly string[]
}

/** Something the index noticed about a tracked project and ignored. */
export interface ProjectIndexProblem {
  readonly code: 'ACCESS_GRANTS_RELINKED' | 'ACCESS_OWNER_MISMATCH'
  readonly project: string
  readonly message: string
}

interface Tracked {
  readonly id: DocumentId
  readonly pinnedOwner: string | undefined
  readonly provisional: ReadonlySet<string>
  handle?: DocHandle<unknown>
  owner?: string
  documents: ReadonlySet<DocumentId>
  grantsId?: DocumentId
  grants?: DocHandle<unknown>
  cache?: { key: string; validUntil: number; membership: Promise<Membership> }
  expiryTimer?: ReturnType<typeof setTimeout>
}

type Listener = () => void

/** See the module comment. Create it, pass it to `accessShareConfig`, create the repo, then `attach(repo)`. */
export class ProjectIndex {
  readonly #projects = new Map<DocumentId, Tracked>()
  /** Document id to the tracked projects that link it (a project document belongs to itself). */
  #owners = new Map<DocumentId, DocumentId[]>()
  readonly #listeners: Array<{ handle: DocHandle<unknown>; listener: Listener }> = []
  readonly #onProblem: (problem: ProjectIndexProblem) => void
  #repo: Repo | undefined
  #settling: Promise<void> = Promise.resolve()
  #scheduled = false
  #stopped = false

  constructor(init: { onProblem?: (problem: ProjectIndexProblem) => void } = {}) {
    this.#onProblem = init.onProblem ?? ((p) => console.error(`[quire-access] ${p.code} in ${p.project}: ${p.message}`))
  }

  /** Gives the index its repo and loads every project tracked so far. Call once, right after creating the repo. */
  attach(repo: Repo): Promise<void> {
    if (this.#repo !== undefined) throw new AccessError('INVALID_ARGUMENT', 'This ProjectIndex is already attached to a repo.')
    this.#repo = repo
    return Promise.all([...this.#projects.values()].map((t) => this.#load(t))).then(() => undefined)
  }

  /**
   * Starts tracking a project (its project document's id or URL). Resolves once the project document has
   * been read, or found unavailable for now (it is read when it arrives).
   */
  async track(project: AnyDocumentId, options: TrackProjectOptions = {}): Promise<void> {
    const id = toId(project)
    if (options.owner !== undefined && !isEd25519PeerId(options.owner)) throw new AccessError('INVALID_ARGUMENT', 'The owner must be an Ed25519 peer id string.')
    if (this.#projects.has(id)) return
    const tracked: Tracked = { id, pinnedOwner: options.owner, provisional: new Set(options.provisionalReaders ?? []), documents: new Set() }
    if (options.owner !== undefined) tracked.owner = options.owner
    this.#projects.set(id, tracked)
    this.#reindex()
    if (this.#repo !== undefined) await this.#load(tracked)
  }

  /** The tracked projects that `documentId` belongs to (the project document, its grants, chat and files). */
  projectsOf(documentId: DocumentId): readonly DocumentId[] {
    return this.#owners.get(documentId) ?? []
  }

  /** The grants document the index pinned for a project, once known. */
  grantsOf(project: AnyDocumentId): DocumentId | undefined {
    return this.#projects.get(toId(project))?.grantsId
  }

  /** Whether this peer holds the project's grants document (loaded and ready), so membership reflects it. */
  holdsGrants(project: AnyDocumentId): boolean {
    return this.#projects.get(toId(project))?.grants?.isReady() ?? false
  }

  /** The project's owner as this peer knows it (pinned, or read from the project document), once known. */
  ownerOf(project: AnyDocumentId): string | undefined {
    return this.#projects.get(toId(project))?.owner
  }

  /**
   * The project's membership at `now`, from the grants document as this peer holds it (owner alone while it
   * has none); `undefined` for an untracked project or one whose owner is still unknown.
   */
  membership(project: AnyDocumentId, now: number): Promise<Membership> | undefined {
    const t = this.#projects.get(toId(project))
    if (t === undefined || t.owner === undefined) return undefined
    const doc = t.grants?.isReady() ? t.grants.doc() : undefined
    const key = doc === undefined ? 'none' : A.getHeads(doc as A.Doc<unknown>).join(',')
    if (t.cache !== undefined && t.cache.key === key && now < t.cache.validUntil) return t.cache.membership
    // Recomputed because a grant expired (whoever asked first, the expiry timer or a share check): the repo
    // must re-evaluate, or a peer whose grant expired would keep the documents it is syncing.
    if (t.cache !== undefined && t.cache.key === key) this.#changed()
    const validUntil = nextExpiry(doc, now)
    const membership = computeMembership(doc, { now, owner: t.owner, project: t.id })
    t.cache = { key, validUntil, membership }
    this.#scheduleExpiry(t, validUntil, now)
    return membership
  }

  /** May `peer` read the project at `now`? */
  async canRead(project: DocumentId, peer: string, now: number): Promise<boolean> {
    const t = this.#projects.get(project)
    if (t === undefined) return false
    const membership = await this.membership(project, now)?.catch(() => undefined)
    if (membership !== undefined && canRead(membership, peer)) return true
    return !(t.grants?.isReady() ?? false) && t.provisional.has(peer)
  }

  /**
   * May `peer`'s changes to the project's documents be applied at `now` (A30)? Writers (admin, writer,
   * compute) author them and relays (relay role) forward writers' changes; before this peer holds the
   * grants document, the peers it may read from (owner, provisional readers) count too, or a new member
   * could never receive the project document and grants that tell it who the writers are.
   */
  async canWrite(project: DocumentId, peer: string, now: number): Promise<boolean> {
    const t = this.#projects.get(project)
    if (t === undefined) return false
    const membership = await this.membership(project, now)?.catch(() => undefined)
    if (membership !== undefined && (canWrite(membership, peer) || canHost(membership, peer))) return true
    return !(t.grants?.isReady() ?? false) && t.provisional.has(peer)
  }

  /** Resolves once the repo has re-evaluated its share decisions after the latest change the index saw. */
  async settled(): Promise<void> {
    for (;;) {
      const current = this.#settling
      await current
      if (current === this.#settling && !this.#scheduled) return
    }
  }

  /** Stops watching documents and timers. */
  stop(): void {
    this.#stopped = true
    for (const { handle, listener } of this.#listeners.splice(0)) handle.off('change', listener)
    for (const t of this.#projects.values()) if (t.expiryTimer !== undefined) clearTimeout(t.expiryTimer)
  }

  async #load(t: Tracked): Promise<void> {
    const handle = await this.#find(t.id)
    if (handle === undefined) return
    t.handle = handle
    this.#watch(handle, () => this.#readProject(t))
    this.#readProject(t)
    // A document that arrives from a peer becomes ready after its first 'change' event, which found it
    // not ready yet.
    if (!handle.isReady()) void handle.whenReady().then(() => this.#readProject(t), () => undefined)
  }

  #readProject(t: Tracked): void {
    if (this.#stopped || t.handle === undefined || !t.handle.isReady()) return
    const links = readProjectLinks(t.handle.doc())
    let changed = !sameSet(links.documents, t.documents)
    t.documents = links.documents
    if (t.owner === undefined && isEd25519PeerId(links.owner)) {
      t.owner = links.owner // trust on first use: no owner was pinned
      changed = true
    } else if (t.pinnedOwner !== undefined && links.owner !== null && links.owner !== t.pinnedOwner) {
      this.#onProblem({ code: 'ACCESS_OWNER_MISMATCH', project: t.id, message: `the project document names ${links.owner} as owner, not the pinned ${t.pinnedOwner}; ignored` })
    }
    if (links.grants !== null && t.grantsId === undefined) {
      // Pinned on first sight: pointing the project at a fresh grants document must not shed revocations.
      t.grantsId = links.grants
      changed = true
      void this.#loadGrants(t, links.grants)
    } else if (links.grants !== null && links.grants !== t.grantsId) {
      this.#onProblem({ code: 'ACCESS_GRANTS_RELINKED', project: t.id, message: `the project document now links grants ${links.grants}; the pinned ${String(t.grantsId)} still decides membership` })
    }
    if (changed) {
      this.#reindex()
      this.#changed()
    }
  }

  async #loadGrants(t: Tracked, id: DocumentId): Promise<void> {
    const handle = await this.#find(id)
    if (handle === undefined) return
    t.grants = handle
    this.#watch(handle, () => this.#changed())
    this.#changed()
    if (!handle.isReady()) void handle.whenReady().then(() => this.#changed(), () => undefined)
  }

  async #find(id: DocumentId): Promise<DocHandle<unknown> | undefined> {
    const repo = this.#repo
    if (repo === undefined || this.#stopped) return undefined
    // 'requesting' too: a document nobody has sent us yet becomes ready when a member brings it, and the
    // change listener picks it up then.
    return repo.find<unknown>(id, { allowableStates: ['ready', 'unavailable', 'requesting'] }).catch(() => undefined)
  }

  #watch(handle: DocHandle<unknown>, listener: Listener): void {
    handle.on('change', listener)
    this.#listeners.push({ handle, listener })
  }

  #reindex(): void {
    const owners = new Map<DocumentId, DocumentId[]>()
    const add = (doc: DocumentId, project: DocumentId): void => {
      const list = owners.get(doc) ?? []
      if (!list.includes(project)) list.push(project)
      owners.set(doc, list)
    }
    for (const t of this.#projects.values()) {
      add(t.id, t.id)
      if (t.grantsId !== undefined) add(t.grantsId, t.id)
      for (const doc of t.documents) add(doc, t.id)
    }
    this.#owners = owners
  }

  /** Coalesces changes of one tick into one re-evaluation of every (document, peer) share decision. */
  #changed(): void {
    if (this.#scheduled || this.#stopped || this.#repo === undefined) return
    this.#scheduled = true
    const repo = this.#repo
    const previous = this.#settling
    this.#settling = (async () => {
      await previous
      await Promise.resolve()
      this.#scheduled = false
      if (!this.#stopped) await repo.synchronizer.reevaluateDocumentShare()
    })()
  }

  #scheduleExpiry(t: Tracked, validUntil: number, now: number): void {
    if (t.expiryTimer !== undefined) clearTimeout(t.expiryTimer)
    t.expiryTimer = undefined
    if (!Number.isFinite(validUntil) || this.#stopped) return
    const delay = Math.min(2 ** 31 - 1, Math.max(0, validUntil - now))
    t.expiryTimer = setTimeout(() => this.#changed(), delay)
    ;(t.expiryTimer as { unref?: () => void }).unref?.()
  }
}

/** The earliest grant expiry after `now` among every entry the grants document ever held (Infinity if none). */
function nextExpiry(doc: unknown, now: number): number {
  let next = Infinity
  if (doc === undefined) return next
  for (const entry of readGrantsHistory(doc)) {
    const expires = entry.fields['expires']
    if (entry.kind === 'grant' && typeof expires === 'number' && expires > now && expires < next) next = expires
  }
  return next
}

function toId(project: AnyDocumentId): DocumentId {
  if (typeof project === 'string' && isValidAutomergeUrl(project)) return interpretAsDocumentId(project)
  try {
    return interpretAsDocumentId(project)
  } catch (cause) {
    throw new AccessError('INVALID_ARGUMENT', 'A project is named by its project document id or automerge: URL.', { cause })
  }
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false
  for (const x of a) if (!b.has(x)) return false
  return true
}
