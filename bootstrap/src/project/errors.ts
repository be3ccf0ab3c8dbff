import { CodedError } from '@quire/crdt'

/** Stable codes of {@link ProjectCliError}. */
export type ProjectCliErrorCode =
  /** A flag the command does not know, a missing required flag, or a bad value (the message names it). */
  | 'QUIRE_FLAG_INVALID'
  /** The data directory cannot be created or written. */
  | 'QUIRE_DATA_DIR_UNAVAILABLE'
  /** Another `quire project` command has the data directory's document store open. */
  | 'QUIRE_DATA_DIR_IN_USE'
  /** The relay given with `--relay` cannot be dialed. */
  | 'QUIRE_RELAY_UNREACHABLE'
  /** The relay did not acknowledge a change in time (it is saved locally and syncs next time). */
  | 'QUIRE_RELAY_NOT_SYNCED'
  /** The relay refused to host the project (its code and message follow). */
  | 'QUIRE_RELAY_REFUSED'
  /** The project's documents are neither in the data directory nor obtainable from the relay. */
  | 'QUIRE_PROJECT_UNAVAILABLE'
  /** This identity is not an admin of the project, so it cannot change membership or invite. */
  | 'QUIRE_NOT_ADMIN'

/** An error `quire project` reports to its user: what went wrong and what to do about it. */
export class ProjectCliError extends CodedError<ProjectCliErrorCode> {}
