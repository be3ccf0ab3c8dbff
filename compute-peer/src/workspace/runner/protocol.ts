/**
 * The frames between the compute peer and the workspace runner (the workspace's disk side, run in the
 * sandbox): repo messages (`hello`, `repo`, see PipeRepoAdapter), blob requests, status and log lines one
 * way, flush and stop the other. Everything the runner sends is checked here: it runs next to the project's
 * code and may be under its control (W31).
 */
import type { WorkspaceLimits, WorkspaceStatus, WorkspaceTiming } from '../types.js'

/** What the runner is started with (its only argument, as JSON). */
export interface RunnerConfig {
  /** The project document's URL. */
  readonly project: string
  /** The workspace directory, as seen inside the sandbox. */
  readonly dir: string
  /** The runner's records (heads and hashes per file), as seen inside the sandbox. */
  readonly stateFile: string
  /** The runner's repo peer id, and the compute peer's (the other end of the pipe). */
  readonly self: string
  readonly remote: string
  /** Written as `createdBy` of entries made from disk: the compute peer's libp2p id. */
  readonly createdBy: string
  readonly maxFrameBytes: number
  readonly limits?: Partial<WorkspaceLimits>
  readonly timing?: Partial<WorkspaceTiming>
}

/** Runner to compute peer. */
export type RunnerFrame =
  | { t: 'blob-get'; id: number; hash: string; fetch: boolean }
  | { t: 'blob-put'; id: number; bytes: Uint8Array }
  | { t: 'status'; status: WorkspaceStatus }
  | { t: 'flushed'; id: number }
  | { t: 'log'; line: string }

/** Compute peer to runner. */
export type HostFrame =
  | { t: 'blob'; id: number; bytes: Uint8Array | null }
  | { t: 'blob-stored'; id: number; hash: string | null }
  | { t: 'flush'; id: number }
  | { t: 'stop' }

const HASH = /^[0-9a-f]{64}$/
const MAX_LOG_LINE = 2000
const STATES = new Set(['starting', 'syncing', 'idle', 'full', 'stopped'])

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

/** A runner frame other than the repo's own, checked; undefined when it is not one (the caller closes the pipe). */
export function checkRunnerFrame(value: unknown): RunnerFrame | undefined {
  if (!isObj(value)) return undefined
  switch (value.t) {
    case 'blob-get':
      return isId(value.id) && typeof value.hash === 'string' && HASH.test(value.hash) && typeof value.fetch === 'boolean'
        ? { t: 'blob-get', id: value.id, hash: value.hash, fetch: value.fetch } : undefined
    case 'blob-put':
      return isId(value.id) && value.bytes instanceof Uint8Array ? { t: 'blob-put', id: value.id, bytes: value.bytes } : undefined
    case 'flushed':
      return isId(value.id) ? { t: 'flushed', id: value.id } : undefined
    case 'log':
      return typeof value.line === 'string' ? { t: 'log', line: value.line.slice(0, MAX_LOG_LINE) } : undefined
    case 'status': {
      const s = value.status
      if (!isObj(s) || !STATES.has(s.state as string) || !isId(s.pending) || !Array.isArray(s.problems)) return undefined
      const problems = s.problems.slice(0, 100).filter(isObj).map((p) => ({
        code: String(p.code).slice(0, 64), path: String(p.path).slice(0, 4096), message: String(p.message).slice(0, MAX_LOG_LINE),
      }))
      return { t: 'status', status: { state: s.state as WorkspaceStatus['state'], pending: s.pending, problems: problems as WorkspaceStatus['problems'] } }
    }
    default:
      return undefined
  }
}
