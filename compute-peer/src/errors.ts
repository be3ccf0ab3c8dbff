import { CodedError } from '@quire/crdt'

/** Stable codes of {@link ComputeError}; log lines and tests use them, so they never change. */
export type ComputeErrorCode =
  /** A command-line flag is unknown or its value is invalid. */
  | 'COMPUTE_FLAG_INVALID'
  /** An environment variable `QUIRE_COMPUTE_*` has an invalid value. */
  | 'COMPUTE_ENV_INVALID'
  /** The config file cannot be read, is not JSON, or a field in it is invalid. */
  | 'COMPUTE_CONFIG_INVALID'
  /** The data directory cannot be created or opened (another compute peer may be using it). */
  | 'COMPUTE_DATA_DIR_UNAVAILABLE'

/** A compute peer cannot start or run as configured; the message says what happened and what to do. */
export class ComputeError extends CodedError<ComputeErrorCode> {}
