import { CodedError } from '@quire/crdt'

/** Stable codes of {@link RelayError}; log lines, metrics and tests use them, so they never change. */
export type RelayErrorCode =
  /** A command-line flag is unknown or its value is invalid. */
  | 'RELAY_FLAG_INVALID'
  /** An environment variable `QUIRE_RELAY_*` has an invalid value. */
  | 'RELAY_ENV_INVALID'
  /** The config file cannot be read, is not JSON, or a field in it is invalid. */
  | 'RELAY_CONFIG_INVALID'
  /** The merged configuration is inconsistent (e.g. open hosting with an allowlist). */
  | 'RELAY_CONFIG_CONFLICT'
  /** The data directory cannot be created or opened (another relay may be using it). */
  | 'RELAY_DATA_DIR_UNAVAILABLE'
  /** libp2p's WebSocket listener could not be found to answer HTTP on its port. */
  | 'RELAY_HTTP_UNAVAILABLE'

/** A relay cannot start or run as configured; the message says what happened and what to do. */
export class RelayError extends CodedError<RelayErrorCode> {}

/** Why a relay refused a peer's document; logged and counted in metrics by this code. */
export type RefusalCode =
  /** The document is not hosted here: not in the allowlist, or of no project that granted this relay. */
  | 'RELAY_NOT_HOSTED'
  /** Grants hosting: the document's project does not (or no longer) give this relay the relay role. */
  | 'RELAY_NOT_GRANTED'
  /** Grants hosting: the peer may not read the project the document belongs to. */
  | 'RELAY_NOT_A_MEMBER'
  /** Open hosting: the peer already brought as many documents as its quota allows. */
  | 'RELAY_QUOTA_DOCUMENTS'
  /** Open hosting: the peer already stored as many bytes as its quota allows. */
  | 'RELAY_QUOTA_BYTES'
  /** Grants hosting: the document's project is at its document or byte quota (RL24). */
  | 'RELAY_QUOTA_PROJECT'
  /** Grants hosting: the projects of the document's owner are at the owner's quota (RL24). */
  | 'RELAY_QUOTA_OWNER'
  /** Grants hosting: the cap on bytes of owners not on the operator's allowlist is reached (RL25). */
  | 'RELAY_QUOTA_UNLISTED'
  /** Grants hosting: the project's owner is not on the operator's allowlist (RL25). */
  | 'RELAY_OWNER_NOT_ALLOWED'
