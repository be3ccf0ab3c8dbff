import type { DocHandle } from '@automerge/automerge-repo'
import type { ComputeOffer, NotebookDoc } from '@quire/crdt'
import type { KernelLauncher, KernelLimits } from '../kernel/types.js'
import type { KernelSlots } from './kernel-slots.js'
import type { BlobSink } from './mime-bundle.js'

/** What every notebook executor of one compute peer shares. */
export interface ExecutorEnvironment {
  /** This compute peer's libp2p peer id, written into the kernel area. */
  readonly peerId: string
  readonly launcher: KernelLauncher
  readonly slots: KernelSlots
  /** Where images in outputs are stored (the node's BlobStore). */
  readonly blobs: BlobSink
  readonly limits?: KernelLimits
  /** A kernel with nothing to run for this long is shut down, ms. */
  readonly idleTimeoutMs: number
  /** How often buffered output is written while a cell runs, ms. Default 150. */
  readonly flushMs?: number
  /** A cell that ends with more than this many processes left running gets a notice (S4). Default 8. */
  readonly leftoverNotice?: number
  /** Stream characters kept per cell run, stdout and stderr together (X1). Default 100,000. */
  readonly maxStreamChars?: number
  /**
   * How long a request of a peer that is not (yet) a writer waits before it is refused, ms. Default 10,000.
   * Grants and notebooks sync separately, so a new writer's first cell can arrive before its grant.
   */
  readonly writerGraceMs?: number
  /** Offer written into each notebook's kernel area when it is attached. */
  readonly offer?: () => ComputeOffer | undefined
  readonly log: (line: string) => void
  readonly now?: () => number
}

/** What one notebook executor needs beyond the environment. */
export interface NotebookExecutorInit {
  readonly env: ExecutorEnvironment
  readonly handle: DocHandle<NotebookDoc>
  /** The project's working directory, mounted writable in the kernel's sandbox. */
  readonly workdir: string
  /** Whether the project lets code use the network (its settings, and the compute peer allows it). */
  readonly network: () => boolean
  /**
   * Whether `peer` may have code run (a writer of the project). Checked from the grants for each request;
   * the real guard is write enforcement in sync, which drops a non-writer's changes before they get here.
   */
  readonly isWriter: (peer: string) => Promise<boolean>
  /**
   * Writes the notebook to this peer's storage. Called after a cell is marked running and before its code
   * runs, so a crash never makes a restarted compute peer run a cell twice (it finds it running, not queued).
   */
  readonly persist?: () => Promise<void>
}
