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

/**
 * The base of every error a user or a peer can meet in Quire: a stable `code` to branch on (never parse the
 * message) and a message that says what to do. Each area narrows `C` to its own codes.
 */
export class CodedError<C extends string = string> extends Error {
  readonly code: C
  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

export class CrdtError extends CodedError<CrdtErrorCode> {}
