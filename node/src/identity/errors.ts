/** Stable codes of {@link IdentityError}. */
export type IdentityErrorCode =
  | 'IDENTITY_KEY_PERMISSIONS'
  | 'IDENTITY_KEY_CORRUPT'
  | 'IDENTITY_KEY_TYPE'
  | 'IDENTITY_STORE_UNAVAILABLE'

/** The node's identity key cannot be used; the message says what to do. */
export class IdentityError extends Error {
  readonly code: IdentityErrorCode
  constructor(code: IdentityErrorCode, message: string) {
    super(message)
    this.name = 'IdentityError'
    this.code = code
  }
}
