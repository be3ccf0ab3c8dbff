import { CodedError } from '@quire/crdt'
/** Stable codes of {@link AccessError}. */
export type AccessErrorCode =
  /** An invite link or token that does not decode: damaged or cut short. */
  | 'INVITE_MALFORMED'
  /** An invite whose signature does not verify, or is not an invite at all. */
  | 'INVITE_FORGED'
  /** An invite used after its expiry. */
  | 'INVITE_EXPIRED'
  /** An invite whose every use has been redeemed. */
  | 'INVITE_USED_UP'
  /** An invite revoked by an admin, or whose issuer no longer has admin rights. */
  | 'INVITE_REVOKED'
  /** An invite for another project than the grants document's. */
  | 'INVITE_WRONG_PROJECT'
  /** This peer already redeemed this invite (a replayed redemption). */
  | 'INVITE_ALREADY_REDEEMED'
  /** A redemption request that does not verify, or names another invite or project. */
  | 'REDEMPTION_FORGED'
  /** A grant whose signature does not verify against its issuer's key. */
  | 'GRANT_FORGED'
  /** A revocation whose signature does not verify against its issuer's key. */
  | 'REVOCATION_FORGED'
  /** A signed entry whose fields do not fit its kind (or of a kind or version this code does not know). */
  | 'ENTRY_MALFORMED'
  /** The signing key has no admin rights in this project. */
  | 'NOT_ADMIN'
  /** Neither the caller nor the grants document says who owns the project, or which project it is. */
  | 'OWNER_UNKNOWN'
  /** This device does not take part in the project an invite is for (it has no grants document for it). */
  | 'PROJECT_UNKNOWN'
  /** A key or peer id that is not Ed25519 (Quire identities are Ed25519). */
  | 'KEY_UNSUPPORTED'
  /** A relay asked to host a project whose grants do not give it the `relay` role (A33). */
  | 'HOST_NOT_GRANTED'
  /** A hosting request that is malformed, too large, or whose documents are not a project and its grants. */
  | 'HOST_REQUEST_INVALID'
  /** A relay refused a hosting request: the project's owner is not on the operator's allowlist (RL25). */
  | 'RELAY_OWNER_NOT_ALLOWED'
  /** A relay refused a hosting request: the project would exceed its per-project quota (RL24). */
  | 'RELAY_QUOTA_PROJECT'
  /** A relay refused a hosting request: the owner's projects would exceed its per-owner quota (RL24). */
  | 'RELAY_QUOTA_OWNER'
  /** A relay refused a hosting request: its cap for owners not on its allowlist is reached (RL25). */
  | 'RELAY_QUOTA_UNLISTED'
  /**
   * The admin device kept dropping the connection or stream of an invite redemption (past its connection
   * limits, many joining at once), through every bounded retry (A35): try again in a minute.
   */
  | 'REDEEM_ADMIN_BUSY'
  /** An argument that does not fit (unknown role, bad time, bad peer id). */
  | 'INVALID_ARGUMENT'

/** An access-control refusal or misuse; `code` is stable, the message says what to do. */
export class AccessError extends CodedError<AccessErrorCode> {}
