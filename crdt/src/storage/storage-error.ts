import { CrdtError } from '../errors.js'

/** The storage operations named in a {@link StorageFailedError}. */
export type StorageOperation = 'open' | 'load' | 'save' | 'remove' | 'loadRange' | 'removeRange' | 'close'

/**
 * A storage operation failed (the database could not be opened, a disk error, the adapter was closed).
 * Code `STORAGE_FAILED`; `key` is the key or prefix involved, `cause` the underlying error.
 */
export class StorageFailedError extends CrdtError {
  readonly operation: StorageOperation
  readonly key: readonly string[] | undefined

  constructor(operation: StorageOperation, key: readonly string[] | undefined, detail: string, cause?: unknown) {
    const where = key === undefined ? '' : ` of key ${JSON.stringify(key)}`
    super(
      'STORAGE_FAILED',
      `Storage ${operation}${where} failed: ${detail}. Check that the data directory is writable, has free ` +
        'space and is not opened by another process, then retry.',
      cause === undefined ? undefined : { cause },
    )
    this.name = 'StorageFailedError'
    this.operation = operation
    this.key = key === undefined ? undefined : Object.freeze([...key])
  }
}

/** A short description of an unknown thrown value and of its causes, for error messages. */
export function describeCause(cause: unknown): string {
  const parts: string[] = []
  for (let current = cause, depth = 0; current !== undefined && depth < 4; depth++) {
    if (!(current instanceof Error)) {
      parts.push(String(current))
      break
    }
    const code = (current as { code?: unknown }).code
    parts.push(typeof code === 'string' ? `${code}: ${current.message}` : current.message)
    current = current.cause
  }
  return parts.join(', caused by ')
}
