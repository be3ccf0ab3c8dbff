/** Stable codes of {@link IdentityError}. */
export type IdentityErrorCode =
  | 'identity-key-permissions'
  | 'identity-key-corrupt'
  | 'identity-key-type'
  | 'identity-store-unavailable'

/** The node's identity key cannot be used; the message says what to do. */
export class IdentityError extends Error {
  readonly code: IdentityErrorCode
  constructor(code: IdentityErrorCode, message: string) {
    super(message)
    this.name = 'IdentityError'
    this.code = code
  }
}
