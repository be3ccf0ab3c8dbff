/**
 * Quotas of hosting by grants (RL24 to RL27). Anyone can make a project, grant a relay the `relay` role and
 * ask it to host, so without a bound a grants-mode relay is free storage for any fresh key. Each hosted
 * document is charged, once, to the project it was first hosted for, and every byte of Automerge changes
 * the relay takes for it (from a member's sync messages, or a hosting request) to that project; a project
 * counts against its own quota and its owner's (the sum of the owner's projects). An optional allowlist of
 * owners limits hosting to their projects, and a cap bounds the bytes of all owners not on it.
 *
 * Usage is kept whole in memory (a document id and its project per document, two numbers per project) and
 * persisted in the sublevel `grant-usage` of the relay's database: a charge is written within a second,
 * never by re-reading documents, and a restart reads the sublevel back (a crash forgets at most the last
 * second of charges; a forgotten document is charged again the next time a peer syncs it).
 */
import type { DocumentId } from '@automerge/automerge-repo'
import type { LevelDatabase } from '@quire/crdt'

/** The quotas of hosting by grants; `startRelay` fills unset fields from {@link DEFAULT_GRANT_QUOTAS}. */
export interface GrantQuotaConfig {
  /** Documents one project may have hosted. */
  maxDocumentsPerProject: number
  /** Bytes of Automerge changes one project may store. */
  maxBytesPerProject: number
  /** Documents all projects of one owner may have hosted. */
  maxDocumentsPerOwner: number
  /** Bytes of changes all projects of one owner may store. */
  maxBytesPerOwner: number
  /** Bytes of changes all owners not in `owners` may store together (everyone, while `owners` is empty). */
  maxBytesUnlisted: number
  /** Owner peer ids whose projects alone are hosted; empty: any owner's. */
  owners: string[]
}

/**
 * A research group's year: a thesis or paper project is tens to hundreds of documents (files, their chats)
 * and tens of MB of history; 10,000 documents and 1 GiB per project is far beyond that, and an owner (a PI
 * or a lab's admin key) gets two such projects' worth. 10 GiB in all for unlisted owners is what strangers
 * with fresh keys can make a relay without an allowlist store: five full owners.
 */
export const DEFAULT_GRANT_QUOTAS: GrantQuotaConfig = {
  maxDocumentsPerProject: 10_000,
  maxBytesPerProject: 1024 ** 3,
  maxDocumentsPerOwner: 20_000,
  maxBytesPerOwner: 2 * 1024 ** 3,
  maxBytesUnlisted: 10 * 1024 ** 3,
  owners: [],
}

/** Why a quota refused a project, a document or a change. */
export type QuotaRefusalCode = 'RELAY_QUOTA_PROJECT' | 'RELAY_QUOTA_OWNER' | 'RELAY_QUOTA_UNLISTED' | 'RELAY_OWNER_NOT_ALLOWED'

/** A refusal, with a message that says what to do. */
export interface QuotaRefusal {
  code: QuotaRefusalCode
  message: string
}

/** Totals for /metrics: no per-project or per-owner series, so their number cannot grow with strangers. */
export interface GrantQuotaStats {
  projects: number
  owners: number
  documents: number
  bytes: number
  unlistedBytes: number
  /** Projects (owners) at 90% or more of their document or byte quota. */
  projectsNearQuota: number
  ownersNearQuota: number
  limits: Omit<GrantQuotaConfig, 'owners'> & { allowlistedOwners: number }
}

interface Usage {
  documents: number
  bytes: number
}

const JSON_VALUES = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const
const NEAR = 0.9

/** See the module comment. */
export class GrantQuotas {
  readonly #config: GrantQuotaConfig
  readonly #allowed: Set<string>
  readonly #db: LevelDatabase
  /** Each charged document's project. */
  readonly #docs = new Map<string, DocumentId>()
  readonly #projects = new Map<DocumentId, Usage & { owner?: string }>()
  readonly #owners = new Map<string, Usage>()
  #unlistedBytes = 0
  readonly #dirty = new Set<string>()
  #timer: NodeJS.Timeout | undefined

  private constructor(db: LevelDatabase, config: GrantQuotaConfig) {
    this.#db = db
    this.#config = config
    this.#allowed = new Set(config.owners)
  }

  /** Reads the usage persisted in `root`'s sublevel `grant-usage`; owners come with {@link addProject}. */
  static async open(root: LevelDatabase, config: GrantQuotaConfig): Promise<GrantQuotas> {
    const quotas = new GrantQuotas(root.sublevel('grant-usage', JSON_VALUES), config)
    for await (const [key, value] of quotas.#db.iterator(JSON_VALUES)) {
      const k = key as string
      try {
        const parsed: unknown = JSON.parse(value as string)
        if (k.startsWith('doc:') && typeof parsed === 'string') {
          quotas.#docs.set(k.slice(4), parsed as DocumentId)
          quotas.#usageOf(parsed as DocumentId).documents++
        } else if (k.startsWith('bytes:') && typeof parsed === 'number') {
          quotas.#usageOf(k.slice(6) as DocumentId).bytes += parsed
        }
      } catch {
        // A damaged entry forgets one charge; the document is charged again when next synced.
      }
    }
    return quotas
  }

  /** Whether the owner allowlist (if any) admits `owner`. */
  isAllowed(owner: string): boolean {
    return this.#allowed.size === 0 || this.#allowed.has(owner)
  }

  /** Names a hosted project's owner (at start for known projects, on a granted request for new ones). */
  addProject(project: DocumentId, owner: string): void {
    const usage = this.#usageOf(project)
    if (usage.owner !== undefined) return
    usage.owner = owner
    const o = this.#ownerUsage(owner)
    o.documents += usage.documents
    o.bytes += usage.bytes
    if (!this.#listed(owner)) this.#unlistedBytes += usage.bytes
  }

  /** The project a document was charged to, if it was. */
  projectOf(documentId: string): DocumentId | undefined {
    return this.#docs.get(documentId)
  }

  /** Whether a new project of `owner`, brought with `bytes` of changes in two documents, fits (A33). */
  checkNewProject(owner: string, bytes: number): QuotaRefusal | undefined {
    if (!this.isAllowed(owner)) return this.#notAllowed(owner)
    return this.#check(undefined, owner, 2, bytes)
  }

  /** Whether `project` could take one more document (without charging it). */
  checkDocument(project: DocumentId): QuotaRefusal | undefined {
    const owner = this.#projects.get(project)?.owner
    if (owner === undefined) return undefined
    if (!this.isAllowed(owner)) return this.#notAllowed(owner)
    return this.#check(project, owner, 1, 0)
  }

  /**
   * Charges `documentId` to `project` unless it was charged before; refuses past a quota unless `force`
   * (the document is already stored: it is counted, never refused).
   */
  chargeDocument(documentId: string, project: DocumentId, options: { force?: boolean } = {}): QuotaRefusal | undefined {
    if (this.#docs.has(documentId)) return undefined
    const usage = this.#projects.get(project)
    if (usage?.owner === undefined) return undefined
    if (options.force !== true) {
      const refusal = this.checkDocument(project)
      if (refusal !== undefined) return refusal
    }
    this.#docs.set(documentId, project)
    usage.documents++
    this.#ownerUsage(usage.owner).documents++
    this.#markDirty(`doc:${documentId}`)
    return undefined
  }

  /** Charges `bytes` of changes to `project`; refuses (charging nothing) past a quota unless `force`. */
  chargeBytes(project: DocumentId, bytes: number, options: { force?: boolean } = {}): QuotaRefusal | undefined {
    const usage = this.#projects.get(project)
    if (usage?.owner === undefined || bytes <= 0) return undefined
    if (options.force !== true) {
      if (!this.isAllowed(usage.owner)) return this.#notAllowed(usage.owner)
      const refusal = this.#check(project, usage.owner, 0, bytes)
      if (refusal !== undefined) return refusal
    }
    usage.bytes += bytes
    this.#ownerUsage(usage.owner).bytes += bytes
    if (!this.#listed(usage.owner)) this.#unlistedBytes += bytes
    this.#markDirty(`bytes:${project}`)
    return undefined
  }

  stats(): GrantQuotaStats {
    const c = this.#config
    const near = (u: Usage, docs: number, bytes: number): boolean => u.documents >= docs * NEAR || u.bytes >= bytes * NEAR
    let documents = 0
    let bytes = 0
    let projects = 0
    let projectsNearQuota = 0
    for (const u of this.#projects.values()) {
      if (u.owner === undefined) continue
      projects++
      documents += u.documents
      bytes += u.bytes
      if (near(u, c.maxDocumentsPerProject, c.maxBytesPerProject)) projectsNearQuota++
    }
    let ownersNearQuota = 0
    for (const u of this.#owners.values()) if (near(u, c.maxDocumentsPerOwner, c.maxBytesPerOwner)) ownersNearQuota++
    return {
      projects, owners: this.#owners.size, documents, bytes, unlistedBytes: this.#unlistedBytes, projectsNearQuota, ownersNearQuota,
      limits: {
        maxDocumentsPerProject: c.maxDocumentsPerProject, maxBytesPerProject: c.maxBytesPerProject,
        maxDocumentsPerOwner: c.maxDocumentsPerOwner, maxBytesPerOwner: c.maxBytesPerOwner,
        maxBytesUnlisted: c.maxBytesUnlisted, allowlistedOwners: this.#allowed.size,
      },
    }
  }

  /** Writes pending charges now. */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    const keys = [...this.#dirty]
    this.#dirty.clear()
    if (keys.length === 0 || this.#db.status !== 'open') return
    await this.#db.batch(keys.map((key) => ({
      type: 'put' as const, key,
      value: JSON.stringify(key.startsWith('doc:') ? this.#docs.get(key.slice(4)) : this.#projects.get(key.slice(6) as DocumentId)?.bytes ?? 0),
    })), JSON_VALUES)
  }

  #check(project: DocumentId | undefined, owner: string, documents: number, bytes: number): QuotaRefusal | undefined {
    const c = this.#config
    const p = project === undefined ? { documents: 0, bytes: 0 } : this.#usageOf(project)
    const o = this.#owners.get(owner) ?? { documents: 0, bytes: 0 }
    const what = project === undefined ? 'a new project' : `project ${project}`
    if (p.documents + documents > c.maxDocumentsPerProject || p.bytes + bytes > c.maxBytesPerProject) {
      return { code: 'RELAY_QUOTA_PROJECT', message: `${what} would exceed this relay's quota of ${c.maxDocumentsPerProject} documents and ${c.maxBytesPerProject} bytes per project (it has ${p.documents} documents, ${p.bytes} bytes); everything stored stays; ask the relay's operator for more, or host it on another relay` }
    }
    if (o.documents + documents > c.maxDocumentsPerOwner || o.bytes + bytes > c.maxBytesPerOwner) {
      return { code: 'RELAY_QUOTA_OWNER', message: `the projects of owner ${owner} would exceed this relay's quota of ${c.maxDocumentsPerOwner} documents and ${c.maxBytesPerOwner} bytes per owner (they have ${o.documents} documents, ${o.bytes} bytes); everything stored stays; ask the relay's operator for more, or host on another relay` }
    }
    if (bytes > 0 && !this.#listed(owner) && this.#unlistedBytes + bytes > c.maxBytesUnlisted) {
      return { code: 'RELAY_QUOTA_UNLISTED', message: `this relay's cap of ${c.maxBytesUnlisted} bytes for owners not on its allowlist is reached; its operator can list owner ${owner} (--allow-owner) or raise the cap` }
    }
    return undefined
  }

  #notAllowed(owner: string): QuotaRefusal {
    return { code: 'RELAY_OWNER_NOT_ALLOWED', message: `this relay hosts only the projects of the owners its operator listed, and ${owner} is not one; ask the operator to add it (--allow-owner), or use another relay` }
  }

  #listed(owner: string): boolean {
    return this.#allowed.has(owner)
  }

  #usageOf(project: DocumentId): Usage & { owner?: string } {
    let usage = this.#projects.get(project)
    if (usage === undefined) this.#projects.set(project, (usage = { documents: 0, bytes: 0 }))
    return usage
  }

  #ownerUsage(owner: string): Usage {
    let usage = this.#owners.get(owner)
    if (usage === undefined) this.#owners.set(owner, (usage = { documents: 0, bytes: 0 }))
    return usage
  }

  #markDirty(key: string): void {
    this.#dirty.add(key)
    this.#timer ??= setTimeout(() => void this.flush().catch(() => {}), 1000)
  }
}
