/**
 * The check a peer makes before it hosts a project it is shown over `/quire/host/1.0.0` (A33 for relays,
 * A34 for compute peers): the documents are loaded in memory only, so a refusal stores nothing. Both roles
 * share it so that what counts as "granted" cannot drift between them.
 */
import { next as A } from '@automerge/automerge'
import type { DocumentId, Repo } from '@automerge/automerge-repo'
import { canAdmin, canCompute, canHost } from './capabilities.js'
import { AccessError } from './errors.js'
import type { HostingRequest } from './host-protocol.js'
import { isEd25519PeerId } from './keys.js'
import type { Membership } from './membership.js'
import { computeMembership } from './membership.js'
import type { ProjectIndex } from './project-index.js'
import { readProjectLinks } from './project-links.js'

/** The role a hosting peer must hold; each has its own wording, which requesters see verbatim. */
const ROLE_TEXT = {
  relay: {
    holds: canHost,
    peer: 'relay',
    ask: 'ask a relay to host it',
    grant: (self: string) => `quire project grant ${self} relay`,
  },
  compute: {
    holds: canCompute,
    peer: 'compute peer',
    ask: 'ask a compute peer to serve it',
    grant: (self: string) => `role "compute" for ${self}`,
  },
} as const satisfies Record<string, { holds: (m: Membership, peer: string) => boolean; peer: string; ask: string; grant: (self: string) => string }>

/** Options of {@link verifyHostingRequest}. */
export interface VerifyHostingOptions {
  /** The requester's peer id: must be the owner or an admin. */
  readonly from: string
  /** This peer's id: the subject the grant must name. */
  readonly self: string
  readonly role: keyof typeof ROLE_TEXT
  readonly index: ProjectIndex
  /** Where grants this peer already holds are found (merged in, so a revocation cannot be undone). */
  readonly repo: Repo
  readonly now: number
  /** An owner this peer pinned earlier; it wins over the document's unsigned word. */
  readonly owner?: string | undefined
  /** Run before refusing with HOST_NOT_GRANTED (e.g. to take in a revocation of a project served so far). */
  readonly onNotGranted?: (grantsId: DocumentId) => Promise<void>
}

/** A request that passed: the owner to pin and the grants document's id. */
export interface VerifiedHosting {
  readonly owner: string
  readonly grantsId: DocumentId
}

/** Checks a hosting request; throws an `AccessError` (HOST_REQUEST_INVALID, NOT_ADMIN, HOST_NOT_GRANTED) to refuse. */
export async function verifyHostingRequest(request: HostingRequest, options: VerifyHostingOptions): Promise<VerifiedHosting> {
  const { from, self, index } = options
  const text = ROLE_TEXT[options.role]
  const { project } = request
  let projectDoc: A.Doc<unknown>
  let grantsDoc: A.Doc<unknown>
  try {
    projectDoc = A.load(request.projectDoc)
    grantsDoc = A.load(request.grantsDoc)
  } catch (cause) {
    throw new AccessError('HOST_REQUEST_INVALID', `The documents do not load as Automerge documents: ${(cause as Error).message}.`, { cause })
  }
  const links = readProjectLinks(projectDoc)
  const pinnedGrants = index.grantsOf(project)
  const grantsId = pinnedGrants ?? links.grants
  if (grantsId === null) throw new AccessError('HOST_REQUEST_INVALID', `Document ${project} is not a project document with a grants document.`)
  if (links.grants !== null && links.grants !== grantsId) {
    throw new AccessError('HOST_REQUEST_INVALID', `This ${text.peer} knows ${grantsId} as the grants document of ${project}, not ${links.grants}.`)
  }
  const owner = options.owner ?? links.owner
  if (!isEd25519PeerId(owner)) throw new AccessError('HOST_REQUEST_INVALID', 'The project document names no owner (an Ed25519 peer id).')
  // Grants this peer holds count too: asking again brings a new grant, never a way around a revocation.
  const held = pinnedGrants === undefined ? undefined : options.repo.handles[pinnedGrants]
  const merged = held?.isReady() === true ? A.merge(A.clone(held.doc() as A.Doc<unknown>), grantsDoc) : grantsDoc
  const membership = await computeMembership(merged, { now: options.now, owner, project })
  if (!canAdmin(membership, from)) {
    throw new AccessError('NOT_ADMIN', `${from} is not an admin of project ${project}: only its owner or an admin can ${text.ask}.`)
  }
  if (!text.holds(membership, self)) {
    await options.onNotGranted?.(grantsId)
    throw new AccessError('HOST_NOT_GRANTED', `Project ${project} does not grant this ${text.peer} (${self}) the ${options.role} role: grant it (${text.grant(self)}) and ask again.`)
  }
  return { owner, grantsId }
}
