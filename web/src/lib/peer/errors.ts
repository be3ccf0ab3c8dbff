import { CodedError } from '@quire/crdt'

/** Stable codes of {@link WebAppError}: the problems a person can meet in the app itself. */
export type WebAppErrorCode =
  /** The browser refused IndexedDB (private mode, storage disabled). */
  | 'STORAGE_UNAVAILABLE'
  /** No relay address is known, or none answers. */
  | 'NO_RELAY'
  /** Nobody who can accept an invite (its issuer, the owner) could be reached. */
  | 'INVITER_OFFLINE'
  /** The project is not in this browser and no member holding it is reachable. */
  | 'PROJECT_UNAVAILABLE'
  /** The session is not running (still starting, failed, or stopped). */
  | 'SESSION_NOT_READY'

/** An error the app shows as it is: the message says what happened and what to do. */
export class WebAppError extends CodedError<WebAppErrorCode> {}

/** The message to show for any error: coded errors are written for people, the rest get a prefix. */
export function describeError(err: unknown): string {
  if (err instanceof CodedError) return err.message
  const message = err instanceof Error ? err.message : String(err)
  return `Something went wrong: ${message}`
}
