import { CodedError } from '@quire/crdt'
/** Stable codes of {@link IdentityError}. */
export type IdentityErrorCode =
  | 'IDENTITY_KEY_PERMISSIONS'
  | 'IDENTITY_KEY_CORRUPT'
  | 'IDENTITY_KEY_TYPE'
  | 'IDENTITY_STORE_UNAVAILABLE'

/** The node's identity key cannot be used; the message says what to do. */
export class IdentityError extends CodedError<IdentityErrorCode> {}
