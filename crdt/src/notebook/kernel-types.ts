/**
 * The kernel area of a notebook document: what the compute peer says about the notebook's kernel, what
 * members ask of it (interrupt, restart), and what the compute peer offers. Rules N22 to N28 in crdt/SPEC.md.
 */
import type { Problem } from '../read/guards.js'

/** Where a kernel is; `dead` comes with a reason in `message`. */
export type KernelStatusName = 'starting' | 'idle' | 'busy' | 'restarting' | 'dead'

export const KERNEL_STATUSES: readonly KernelStatusName[] = ['starting', 'idle', 'busy', 'restarting', 'dead']

/** What members may ask of a notebook's kernel. */
export type KernelAction = 'interrupt' | 'restart'

export const KERNEL_ACTIONS: readonly KernelAction[] = ['interrupt', 'restart']

/**
 * The kernel as its compute peer last described it. Written by the compute peer only, as one value (the last
 * writer wins whole). `message` is progress while starting ("starting sandbox") or why it died.
 */
export interface KernelState {
  /** libp2p peer id of the compute peer running the kernel. */
  readonly peer: string
  /** Kernelspec name (`python3`, `sagemath`, ...). */
  readonly spec: string
  readonly status: KernelStatusName
  readonly message?: string
  /** Milliseconds since 1970. */
  readonly updatedAt: number
}

/** A member's request to interrupt or restart the kernel; the compute peer acts on each id once. */
export interface KernelRequest {
  readonly id: string
  readonly action: KernelAction
  /** Peer id of the member who asked. */
  readonly requestedBy: string
  readonly requestedAt: number
  /** Set by the compute peer once it acted (or decided not to). */
  readonly handledAt?: number
  readonly handledBy?: string
  /** Why the request was not carried out (not a writer, no kernel running), when it was not. */
  readonly refused?: string
}

/** A kernel a compute peer can start. */
export interface OfferedKernel {
  readonly name: string
  readonly displayName: string
  readonly language: string
}

/**
 * What a compute peer offers the notebook: the kernels it can start, its limits per kernel and since when it
 * is online. Written by the compute peer as one value; the web app shows it (kernel picker, limits).
 */
export interface ComputeOffer {
  readonly peer: string
  readonly kernels: readonly OfferedKernel[]
  /** Limits per kernel, as numbers (bytes, seconds, processes); absent: no limit of that kind. */
  readonly limits: Readonly<Partial<Record<'memoryBytes' | 'cpuSeconds' | 'processes' | 'fileSizeBytes', number>>>
  readonly network: boolean
  /** Human-readable lines about the sandbox (which limits the host could apply). */
  readonly notes: readonly string[]
  readonly onlineSince: number
  readonly updatedAt: number
}

/** What `readKernel` returns for any value. */
export interface KernelRead {
  readonly state: KernelState | undefined
  /** Requests sorted by `requestedAt`, then id; malformed ones are left out with a problem. */
  readonly requests: readonly KernelRequest[]
  readonly offer: ComputeOffer | undefined
  readonly problems: readonly Problem[]
}
