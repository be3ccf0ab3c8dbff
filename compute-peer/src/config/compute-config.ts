/**
 * The compute peer's configuration as `startComputePeer` takes it. The CLI builds one from flags,
 * environment variables, a JSON file and defaults (`resolveComputeConfig`); programs and tests may build
 * one directly.
 */
import type { KernelLimits } from '../kernel/types.js'

export interface ComputeConfig {
  /** Identity key, databases, kernel state and project directories live here; created (mode 0700). */
  dataDir: string
  listen: string[]
  /** Peers to dial on start (relays), multiaddrs ending in `/p2p/<peer id>`. */
  bootstrap: string[]
  /** Project document ids (or URLs) to compute for. */
  projects: string[]
  maxKernels: number
  /** Limits per kernel; an omitted field is no limit. */
  limits: KernelLimits
  idleTimeoutMs: number
  allowNetwork: boolean
  allowLoopback: boolean
  unsafeNoSandbox: boolean
  /** When root: the host user sandboxes run as (default `quire-sandbox`, S5). Ignored when not root. */
  sandboxUser?: string
  /** LaTeX builds: soft and hard time limits and the largest file a build may write; omitted: 60 s, 240 s, 256 MiB. */
  latex?: { timeoutMs?: number; killMs?: number; fileSizeBytes?: number }
  /** Snapshots of the workspaces (N10-N12); omitted fields take the defaults (15 minutes, no quota). */
  snapshots?: { intervalMs?: number; quotaBytes?: number; budgetBytes?: number }
  /** How often new snapshots are pushed to the project's standbys, ms (N19; default 60 s). */
  replicaPushMs?: number
}

/** The standard port of a compute peer. */
export const DEFAULT_COMPUTE_LISTEN = ['/ip4/0.0.0.0/tcp/4011']
