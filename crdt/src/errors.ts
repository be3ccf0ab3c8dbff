/**
 * Errors a user or a peer can meet carry a stable `code` (never parse the message) and say what to do.
 * Codes are SCREAMING_SNAKE strings listed in crdt/SPEC.md.
 */
export type CrdtErrorCode =
  | 'INVALID_NOTEBOOK'
  | 'INVALID_DOCUMENT'
  | 'UNKNOWN_CELL'
  | 'UNKNOWN_FILE'
  | 'UNKNOWN_MESSAGE'
  | 'INVALID_ARGUMENT'
  | 'STORAGE_FAILED'

export class CrdtError extends Error {
  readonly code: CrdtErrorCode
  constructor(code: CrdtErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CrdtError'
    this.code = code
  }
}
