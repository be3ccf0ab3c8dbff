import { next as A } from '@automerge/automerge'
import { interpretAsDocumentId, isValidAutomergeUrl, isValidDocumentId, type DocumentId, type Message, type PeerId } from '@automerge/automerge-repo'
import { RelayError, type RefusalCode } from '../errors.js'
import type { HostingPolicyConfig } from '../config/relay-config.js'
import type { HostingIndex } from './hosting-index.js'
import type { GrantHosting, GrantRefusalCode } from './grant-hosting.js'
import type { GrantQuotas, QuotaRefusalCode } from './grant-quotas.js'

/** A refusal, as logged and counted. */
export interface Refusal {
  code: RefusalCode | GrantRefusalCode | QuotaRefusalCode
  peer: string
  documentId: string
  message: string
}

/** Turns an allowlist entry (document id or `automerge:` URL) into a document id, or says which is bad. */
export function toDocumentId(entry: string, where: string): DocumentId {
  if (isValidAutomergeUrl(entry)) return interpretAsDocumentId(entry)
  if (isValidDocumentId(entry)) return entry
  throw new RelayError('RELAY_CONFIG_INVALID', `${where}: ${JSON.stringify(entry)} is neither a document id nor an automerge: URL`)
}

/**
 * Decides which documents the relay hosts and for whom, as automerge-repo's `shareConfig`:
 * - `access` (may this peer sync this document with us?): allowlisted documents (the operator's override);
 *   under grants hosting, documents of projects that grant this relay the relay role, to their members
 *   (`GrantHosting`); under open hosting, any hosted document and new ones within the peer's document
 *   quota. A refused peer gets `doc-unavailable` from the repo and no document bytes.
 * - `announce` (do we offer this document unasked?): only to federated relays, and only hosted documents,
 *   so an ordinary peer learns of no document it did not ask for by id.
 * - {@link admit} (network level): refuses changes past a byte quota: the sending peer's under open hosting,
 *   the document's project's and owner's under grants hosting (RL24 to RL27, `GrantQuotas`).
 */
export class HostingPolicy {
  readonly refusals: Record<string, number> = {}
  readonly #config: HostingPolicyConfig
  readonly #index: HostingIndex
  readonly #federation: Set<string>
  readonly #allowed = new Set<string>()
  /** Documents linked from allowlisted projects, by project. */
  readonly #linked = new Map<string, Set<string>>()
  readonly #log: (refusal: Refusal) => void
  readonly #logIntervalMs: number
  /** Per code and peer: when a refusal was last logged, and how many came since. */
  readonly #logged = new Map<string, { at: number; since: number }>()

  readonly #grants: GrantHosting | undefined
  readonly #quotas: GrantQuotas | undefined

  constructor(init: {
    config: HostingPolicyConfig; index: HostingIndex; federation: Iterable<string>; log: (r: Refusal) => void; logIntervalMs?: number
    /** Grants hosting: required when `config.mode` is `grants`. */
    grants?: GrantHosting
    /** Grants hosting: its quotas (RL24 to RL27). */
    quotas?: GrantQuotas
  }) {
    this.#logIntervalMs = init.logIntervalMs ?? 10_000
    this.#config = init.config
    this.#index = init.index
    this.#federation = new Set(init.federation)
    this.#log = init.log
    this.#grants = init.config.mode === 'grants' ? init.grants : undefined
    this.#quotas = this.#grants === undefined ? undefined : init.quotas
    if (init.config.mode !== 'open') {
      init.config.documents.forEach((d, i) => this.#allowed.add(toDocumentId(d, `allowlist entry ${i + 1}`)))
      init.config.projects.forEach((p, i) => {
        const id = toDocumentId(p, `project allowlist entry ${i + 1}`)
        this.#allowed.add(id)
        this.#linked.set(id, new Set())
      })
    }
  }

  /** Allowlisted project documents, whose links are hosted too. */
  get projects(): DocumentId[] {
    return [...this.#linked.keys()] as DocumentId[]
  }

  /** Documents the configuration names: the relay fetches them from federated relays on start. */
  get named(): DocumentId[] {
    return [...this.#allowed] as DocumentId[]
  }

  /** Replaces the documents a project links (its files, grants and chat), read from its current state. */
  setProjectLinks(projectId: string, linked: Iterable<string>): void {
    if (this.#linked.has(projectId)) this.#linked.set(projectId, new Set(linked))
  }

  /** Whether the allowlist names the document, directly or through a project. */
  isAllowlisted(documentId: string): boolean {
    if (this.#allowed.has(documentId)) return true
    for (const links of this.#linked.values()) if (links.has(documentId)) return true
    return false
  }

  isFederated(peer: string): boolean {
    return this.#federation.has(peer)
  }

  readonly access = async (peer: PeerId, documentId: DocumentId): Promise<boolean> => {
    if (this.#config.mode !== 'open') {
      if (this.isAllowlisted(documentId)) {
        await this.#index.add(documentId, peer)
        return true
      }
      const verdict = await this.#grants?.check(peer, documentId)
      if (verdict?.ok === true) {
        // A document new to the relay counts against its project's quota; one already stored (before a
        // crash forgot its charge, or before quotas) is counted, never refused (RL26).
        const stored = this.#index.has(documentId) || this.#federation.has(peer)
        const refusal = this.#quotas?.chargeDocument(documentId, verdict.project, { force: stored })
        if (refusal !== undefined) {
          this.#refuse(refusal.code, peer, documentId, refusal.message)
          return false
        }
        await this.#index.add(documentId, peer)
        return true
      }
      if (verdict !== undefined && verdict.code !== 'UNPLACED') {
        this.#refuse(verdict.code, peer, documentId, verdict.message)
        return false
      }
      this.#refuse('RELAY_NOT_HOSTED', peer, documentId, this.#grants === undefined
        ? 'this relay does not host the document (not in its allowlist)'
        : 'this relay does not host the document (no project that granted it the relay role links it, and it is not in its allowlist)')
      return false
    }
    if (this.#index.has(documentId)) return true
    if (this.#federation.has(peer)) {
      // A federated relay replicates what it hosts; it is not a member spending a quota.
      await this.#index.add(documentId, peer)
      return true
    }
    const usage = this.#index.usage(peer)
    if (usage.documents >= this.#config.maxDocumentsPerPeer) {
      this.#refuse('RELAY_QUOTA_DOCUMENTS', peer, documentId,
        `the peer has brought ${usage.documents} documents, its quota on this relay; ask the relay's operator for more, or use another relay`)
      return false
    }
    await this.#index.add(documentId, peer)
    return true
  }

  readonly announce = async (peer: PeerId, documentId?: DocumentId): Promise<boolean> => {
    if (!this.#federation.has(peer)) return false
    if (documentId === undefined) return true
    if (this.#config.mode === 'open') return this.#index.has(documentId)
    if (this.isAllowlisted(documentId)) return true
    return (await this.#grants?.check(peer, documentId))?.ok === true
  }

  /** Network-level check of an incoming message; returns a refusal code or undefined. */
  admit(message: Message): RefusalCode | undefined {
    if (this.#config.mode === 'allowlist' || (message.type !== 'sync' && message.type !== 'request')) return undefined
    if (this.#federation.has(message.senderId) || message.data === undefined) return undefined
    const documentId = message.documentId ?? ''
    const config = this.#config
    if (config.mode === 'grants') return this.#admitGrants(message, documentId)
    if (config.mode !== 'open') return undefined
    const bytes = changeBytes(message.data)
    if (bytes === 0) return undefined
    const usage = this.#index.usage(message.senderId)
    if (usage.bytes + bytes > config.maxBytesPerPeer) {
      this.#refuse('RELAY_QUOTA_BYTES', message.senderId, documentId,
        `the peer has stored ${usage.bytes} bytes of its ${config.maxBytesPerPeer}-byte quota; this ${bytes}-byte change would exceed it`)
      return 'RELAY_QUOTA_BYTES'
    }
    this.#index.addBytes(message.senderId, bytes)
    return undefined
  }

  /**
   * Grants hosting: a sync message's changes count against the quotas of the document's project (the one it
   * was charged to, or else the first hosted project linking it). Readers' changes were already removed by
   * the write filter (A28), so only changes the relay would store are charged. A document the project has
   * no room for is refused here too, so its changes are not charged while it is refused.
   */
  #admitGrants(message: Message & { data?: Uint8Array }, documentId: string): RefusalCode | undefined {
    const quotas = this.#quotas
    if (quotas === undefined || message.data === undefined) return undefined
    const charged = quotas.projectOf(documentId)
    const project = charged ?? this.#grants?.hostedProjectOf(documentId)
    if (project === undefined) return undefined
    const bytes = changeBytes(message.data)
    if (bytes === 0) return undefined
    const refusal = (charged === undefined && !this.#index.has(documentId) ? quotas.checkDocument(project) : undefined)
      ?? quotas.chargeBytes(project, bytes)
    if (refusal === undefined) return undefined
    this.#refuse(refusal.code, message.senderId, documentId, refusal.message)
    return refusal.code
  }

  /** Counts and logs a refusal made elsewhere (a hosting request refused by a quota), as the policy's own. */
  recordRefusal(refusal: Refusal): void {
    this.#refuse(refusal.code, refusal.peer, refusal.documentId, refusal.message)
  }

  /**
   * Counts every refusal; logs at most one per code and peer every `logIntervalMs`, saying how many were
   * not logged since, so a peer asking for thousands of documents cannot fill the operator's disk with log.
   */
  #refuse(code: Refusal['code'], peer: string, documentId: string, message: string): void {
    this.refusals[code] = (this.refusals[code] ?? 0) + 1
    const key = `${code} ${peer}`
    const now = Date.now()
    const last = this.#logged.get(key)
    if (last !== undefined && now - last.at < this.#logIntervalMs) {
      last.since++
      return
    }
    if (this.#logged.size > 10_000) {
      for (const [k, v] of this.#logged) if (now - v.at >= this.#logIntervalMs) this.#logged.delete(k)
    }
    this.#logged.set(key, { at: now, since: 0 })
    const more = last !== undefined && last.since > 0 ? ` (${last.since} more refusals of this peer with this code were not logged)` : ''
    this.#log({ code, peer, documentId, message: message + more })
  }
}

/** Bytes of Automerge changes in a sync message (0 for one that does not decode: the sync adapter refuses it). */
function changeBytes(data: Uint8Array): number {
  let bytes = 0
  try {
    for (const change of A.decodeSyncMessage(data).changes) bytes += change.byteLength
  } catch {
    return 0
  }
  return bytes
}
