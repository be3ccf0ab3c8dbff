/** Stable codes of `/quire/blob/1.0.0` failures, sent over the wire and shown to users. */
export type BlobErrorCode =
  /** The peer does not have a blob with that hash. */
  | 'BLOB_NOT_FOUND'
  /** The blob is larger than the size limit of the side that refused it. */
  | 'BLOB_TOO_LARGE'
  /** The bytes received do not hash to the requested sha-256: nothing was stored. */
  | 'HASH_MISMATCH'
  /** The `authorize` hook refused this peer this blob. */
  | 'BLOB_DENIED'
  /** A hash that is not 64 lowercase hex characters. */
  | 'INVALID_HASH'
  /** The other side broke the protocol: a malformed header, a short or overlong body, an early close. */
  | 'BLOB_PROTOCOL_ERROR'

const HINTS: Record<BlobErrorCode, string> = {
  BLOB_NOT_FOUND: 'ask another peer that holds the project',
  BLOB_TOO_LARGE: 'raise the size limit (maxBlobBytes) on both peers, or split the file',
  HASH_MISMATCH: 'the peer sent corrupt or wrong data; fetch from another peer',
  BLOB_DENIED: 'ask a project admin for a grant',
  INVALID_HASH: 'pass the sha-256 of the blob as 64 lowercase hex characters',
  BLOB_PROTOCOL_ERROR: 'retry; if it persists the peer runs an incompatible version',
}

/** A blob transfer that failed; `code` is stable, the message says what to do. */
export class BlobError extends Error {
  readonly code: BlobErrorCode
  /** `detail` says what happened; the code's advice is appended unless `advise` is false (a peer's message). */
  constructor(code: BlobErrorCode, detail: string, advise = true) {
    super(advise ? `${detail}: ${HINTS[code]}` : detail)
    this.name = 'BlobError'
    this.code = code
  }
}

export const BLOB_ERROR_CODES: readonly BlobErrorCode[] = Object.keys(HINTS) as BlobErrorCode[]
