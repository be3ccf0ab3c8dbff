import { CodedError } from '@quire/crdt'

/** Stable codes of the kernel layer and its sandbox. Branch on these, never on messages. */
export type KernelErrorCode =
  /** The kernel died (or was shut down); restart it to run code again. */
  | 'KERNEL_DEAD'
  /** No installed kernelspec has that name. */
  | 'KERNEL_SPEC_NOT_FOUND'
  /** The kernel process did not come up (exited, or did not answer kernel_info in time). */
  | 'KERNEL_START_FAILED'
  /** bubblewrap is missing or cannot create namespaces, and unsafeNoSandbox was not set. */
  | 'SANDBOX_UNAVAILABLE'
  /** The sandbox could not be prepared (cgroup, directory, or invalid option). */
  | 'SANDBOX_FAILED'

/** Errors of the kernel layer and its sandbox; the message says what happened and what to do. */
export class KernelError extends CodedError<KernelErrorCode> {}
