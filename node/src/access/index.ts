/**
 * Access control: signed grants, revocations and invites over a project's grants document, and the
 * membership every peer computes from them (node/PROTOCOL.md, A rules). Enforcement in sync, relays and
 * compute peers builds on `computeMembership` and the `can*` questions.
 */
export { AccessError, type AccessErrorCode } from './errors.js'
export { ROLES, ROLE_CAPABILITIES, isRole, type Role } from './roles.js'
export { publicKeyOfPeerId, isEd25519PeerId, peerIdOfKey } from './keys.js'
export {
  RECORD_VERSION,
  type AccessRecord,
  type RecordKind,
  type Grant,
  type Revocation,
  type Invite,
  type RedemptionRequest,
  type Redemption,
} from './records.js'
export { SIGNING_CONTEXT, signingBytes, type SignedRecord } from './signing.js'
export { signGrant, signRevocation, verifyGrant, verifyRevocation, type GrantInit, type RevocationInit, type EntryBytes } from './grant-records.js'
export {
  createInvite,
  verifyInvite,
  createRedemptionRequest,
  verifyRedemptionRequest,
  inviteToUrl,
  inviteFromUrl,
  INVITE_FRAGMENT_PARAM,
  type InviteInit,
  type CreatedInvite,
  type VerifyInviteOptions,
} from './invites.js'
export { computeMembership, type Membership, type MembershipOptions, type Member, type RejectedEntry, type RejectionReason } from './membership.js'
export { canRead, canWrite, canCompute, canHost, canAdmin, canRequestExecution } from './capabilities.js'
export { revokeMember } from './remove-member.js'
export { acceptRedemption, type RedemptionTokens, type AcceptRedemptionOptions, type AcceptedRedemption } from './redeem.js'
export { readProjectLinks, projectDocumentIds, type ProjectLinks } from './project-links.js'
export { ProjectIndex, type TrackProjectOptions, type ProjectIndexProblem } from './project-index.js'
export {
  accessShareConfig,
  type AccessShareConfig,
  type AccessShareConfigInit,
  type AccessRefusal,
  type AccessRefusalCode,
  type OutsideProjectsPolicy,
} from './share-config.js'
export { createProjectWithGrants, type CreateProjectWithGrantsInit, type CreatedProject } from './project-setup.js'
export { REDEEM_PROTOCOL, serveRedemptions, requestRedemption, type RedemptionServiceInit, type RequestRedemptionOptions } from './redeem-protocol.js'
export { DEFAULT_BUSY_RETRY, isBusyPeerError, type BusyRetry } from './busy-peer.js'
export {
  AccessWriteFilter,
  accessWriteFilter,
  type AccessWriteFilterInit,
  type WriteFilterStats,
  type DroppedChanges,
} from './write-filter.js'
export {
  HOST_PROTOCOL,
  MAX_HOST_REQUEST_BYTES,
  serveHostingRequests,
  requestHosting,
  hostingRequestFor,
  type HostingRequest,
  type HostingServiceInit,
} from './host-protocol.js'
export { verifyHostingRequest, type VerifyHostingOptions, type VerifiedHosting } from './host-verification.js'
export { AcceptedProjects, type AcceptedProject } from './accepted-projects.js'
