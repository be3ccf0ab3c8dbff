/**
 * Read enforcement as automerge-repo's `shareConfig`: a peer serves (`access`) and offers unasked
 * (`announce`) a project's documents only to peers that may read that project. A refused peer gets
 * `doc-unavailable` from the repo and no document bytes. automerge-repo shares a document when
 * `announce || (access && the peer asked)`, so `announce` here implies `access` (it never offers what the
 * peer may not read).
 *
 * Documents of no tracked project follow `outsideProjects`. The default is `deny`: a document this peer
 * cannot place may be a file of a project whose project document it has not read yet (just started, or
 * still syncing), and serving it in that window would leak it; relays and compute peers hold nothing but
 * project documents. A browser that keeps documents of its own outside any project (scratch notes) passes a
 * predicate that allows exactly those, rather than `allow`, which serves any unplaced document to anyone.
 */
import type { DocumentId, PeerId, RepoConfig } from '@automerge/automerge-repo'
import type { ProjectIndex } from './project-index.js'

const MAX_REMEMBERED_REFUSALS = 10_000

/** Why a peer was refused a document. */
export type AccessRefusalCode =
  /** The peer may not read (one of) the project(s) the document belongs to. */
  | 'ACCESS_NOT_A_READER'
  /** The document belongs to no tracked project and the `outsideProjects` policy refuses it. */
  | 'ACCESS_OUTSIDE_PROJECTS'

/** One refusal, as logged and counted. */
export interface AccessRefusal {
  readonly code: AccessRefusalCode
  readonly peer: string
  readonly documentId: string
  /** The project that refused, for `ACCESS_NOT_A_READER`. */
  readonly project?: string
}

/** The policy for documents of no tracked project. */
export type OutsideProjectsPolicy = 'deny' | 'allow' | ((peer: PeerId, documentId: DocumentId) => boolean | Promise<boolean>)

/** Options of {@link accessShareConfig}. */
export interface AccessShareConfigInit {
  readonly index: ProjectIndex
  /** This peer's clock (ms since 1970), used to judge grant expiry. Default `Date.now`. */
  readonly now?: () => number
  /** Documents of no tracked project. Default `deny` (see the module comment). */
  readonly outsideProjects?: OutsideProjectsPolicy
  /** Whether to offer project documents unasked to their readers (default true; relays may pass false). */
  readonly announceToReaders?: boolean
  /**
   * Called for a refusal of `access`, once per peer and document until that peer is allowed it again:
   * the repo asks `access` on every re-evaluation too, not only when the peer asks.
   */
  readonly log?: (refusal: AccessRefusal) => void
}

type ShareConfig = NonNullable<RepoConfig['shareConfig']>

/** `shareConfig` for `createQuireRepo`, plus refusal counters by code. */
export interface AccessShareConfig extends ShareConfig {
  /** Refusals by code, counted like `log` calls (once per peer and document until allowed again). */
  readonly refusals: Partial<Record<AccessRefusalCode, number>>
}

/** See the module comment. */
export function accessShareConfig(init: AccessShareConfigInit): AccessShareConfig {
  const { index } = init
  const now = init.now ?? Date.now
  const outside = init.outsideProjects ?? 'deny'
  const announceToReaders = init.announceToReaders ?? true
  const refusals: Partial<Record<AccessRefusalCode, number>> = {}
  /** `peer\ndocumentId` of refusals already counted; bounded, since strangers can make up document ids. */
  const refused = new Set<string>()

  const decide = async (peer: PeerId, documentId: DocumentId): Promise<AccessRefusal | undefined> => {
    const projects = index.projectsOf(documentId)
    if (projects.length === 0) {
      const allowed = outside === 'allow' || (typeof outside === 'function' && (await outside(peer, documentId)))
      return allowed ? undefined : { code: 'ACCESS_OUTSIDE_PROJECTS', peer, documentId }
    }
    // A document linked from several projects is served only to peers that may read every one of them: a
    // writer of one project can link any document id it knows, and must not open it to its own members.
    const at = now()
    for (const project of projects) {
      if (!(await index.canRead(project, peer, at))) return { code: 'ACCESS_NOT_A_READER', peer, documentId, project }
    }
    return undefined
  }

  return {
    refusals,
    access: async (peer, documentId) => {
      const refusal = await decide(peer, documentId)
      const key = `${peer}\n${documentId}`
      if (refusal === undefined) {
        refused.delete(key)
        return true
      }
      if (!refused.has(key)) {
        if (refused.size >= MAX_REMEMBERED_REFUSALS) refused.clear()
        refused.add(key)
        refusals[refusal.code] = (refusals[refusal.code] ?? 0) + 1
        init.log?.(refusal)
      }
      return false
    },
    announce: async (peer, documentId) => {
      if (documentId === undefined) return false
      if (!announceToReaders && index.projectsOf(documentId).length > 0) return false
      return (await decide(peer, documentId)) === undefined
    },
  }
}
