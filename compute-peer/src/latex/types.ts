/** What every `.tex` builder of one compute peer shares. */
import type { KernelLimits } from '../kernel/types.js'
import type { SandboxHost } from '../sandbox/capabilities.js'
import type { LatexAvailability } from './latexmk-run.js'
import type { BuildSlots } from './build-slots.js'

/** Where build outputs go: the node's BlobStore (or anything with its `put`). */
export interface LatexBlobSink {
  /** Stores the bytes and returns their lowercase hex sha-256. */
  put(bytes: Uint8Array): Promise<string>
}

export interface LatexEnvironment {
  /** This compute peer's libp2p id, written as `by` of runs and builds. */
  readonly peerId: string
  readonly host: SandboxHost
  readonly unsafeNoSandbox?: boolean
  readonly availability: LatexAvailability
  readonly blobs: LatexBlobSink
  /** Memory, processes and file size per build (the kernels' limits by default). */
  readonly limits: KernelLimits
  /** At this the build's processes get SIGTERM (TX7). */
  readonly softTimeoutMs: number
  /** At this everything left is killed. */
  readonly hardTimeoutMs: number
  /** How long a build waits for the workspace to write the requested version (TX4). */
  readonly diskWaitMs: number
  /** How long a request from a peer that is not (yet) a writer waits for its grant before it is refused. */
  readonly writerGraceMs: number
  /** Builds running at once on this compute peer. */
  readonly slots: BuildSlots
}
