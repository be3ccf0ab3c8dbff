import { CodedError } from '@quire/crdt'

/** Stable codes of {@link QuireCliError}. */
export type QuireCliErrorCode =
  /** A flag the command does not know, or a flag without its value. */
  | 'QUIRE_FLAG_INVALID'
  /** A config or data file that cannot be read, is not JSON, or has a wrong field (the message names the line). */
  | 'QUIRE_CONFIG_INVALID'
  /** An unknown `quire` command. */
  | 'QUIRE_COMMAND_UNKNOWN'
  /** A package's `dist/` is missing: `npm run build` has not run. */
  | 'QUIRE_BUILD_MISSING'
  /** A port the local network needs is taken. */
  | 'QUIRE_PORT_IN_USE'
  /** Another `quire up` already uses this data directory. */
  | 'QUIRE_DATA_DIR_IN_USE'
  /** The data directory cannot be created or written. */
  | 'QUIRE_DATA_DIR_UNAVAILABLE'
  /** A daemon exited before it was ready, or kept exiting. */
  | 'QUIRE_DAEMON_FAILED'
  /** `quire setup` cannot install on this system (not Debian or Ubuntu, or apt-get failed). */
  | 'QUIRE_SETUP_UNSUPPORTED'
  | 'QUIRE_SETUP_FAILED'

/** An error the `quire` command reports to its user: what went wrong and what to do about it. */
export class QuireCliError extends CodedError<QuireCliErrorCode> {}
