/**
 * The workspace status a compute peer broadcasts to a project's members (W40): an ephemeral message on the
 * project document's handle, never written into a document (it changes every few hundred milliseconds while
 * files are written, and history would keep every state). Members show it beside the file tree: "workspace
 * up to date", "writing 3 files", "workspace full". Anyone can send an ephemeral message, so a reader checks
 * every field and believes it only from a peer whose grants give it the compute role.
 */

/** The marker key; other ephemeral messages on the project handle are not this. */
export const WORKSPACE_STATUS_KEY = 'quireWorkspace'
export const WORKSPACE_STATUS_VERSION = 1
/** At most this many problems are sent; `problemCount` says how many there are. */
const MAX_PROBLEMS = 5

export type WorkspaceSyncState = 'starting' | 'syncing' | 'idle' | 'full' | 'stopped'

/** The status as broadcast and as read. */
export interface WorkspaceStatusMessage {
  readonly [WORKSPACE_STATUS_KEY]: typeof WORKSPACE_STATUS_VERSION
  readonly state: WorkspaceSyncState
  /** Files and documents waiting to be synced. */
  readonly pending: number
  readonly problemCount: number
  readonly problems: ReadonlyArray<{ readonly code: string; readonly path: string; readonly message: string }>
  /** When the compute peer sent it (its clock), ms since 1970. */
  readonly at: number
}

const STATES = new Set<string>(['starting', 'syncing', 'idle', 'full', 'stopped'])

/** The message for a workspace's status (problems cut to a few). */
export function workspaceStatusMessage(status: { state: WorkspaceSyncState; pending: number; problems: ReadonlyArray<{ code: string; path: string; message: string }> }, at: number): WorkspaceStatusMessage {
  return {
    [WORKSPACE_STATUS_KEY]: WORKSPACE_STATUS_VERSION,
    state: status.state,
    pending: status.pending,
    problemCount: status.problems.length,
    problems: status.problems.slice(0, MAX_PROBLEMS).map(({ code, path, message }) => ({ code, path, message })),
    at,
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const count = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0
const text = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '')

/** Reads an ephemeral message as a workspace status; undefined when it is not one or is malformed. */
export function readWorkspaceStatus(message: unknown): WorkspaceStatusMessage | undefined {
  if (!isObj(message) || message[WORKSPACE_STATUS_KEY] !== WORKSPACE_STATUS_VERSION) return undefined
  const { state, pending, problemCount, problems, at } = message
  if (typeof state !== 'string' || !STATES.has(state) || !count(pending) || !count(problemCount) || !count(at) || !Array.isArray(problems)) return undefined
  return {
    [WORKSPACE_STATUS_KEY]: WORKSPACE_STATUS_VERSION,
    state: state as WorkspaceSyncState,
    pending,
    problemCount,
    problems: problems.slice(0, MAX_PROBLEMS).filter(isObj).map((p) => ({ code: text(p.code, 64), path: text(p.path, 4096), message: text(p.message, 500) })),
    at,
  }
}

/** What a member shows for a status: a short phrase. */
export function describeWorkspaceStatus(status: WorkspaceStatusMessage): string {
  switch (status.state) {
    case 'idle':
      return status.problemCount > 0 ? `Workspace up to date (${status.problemCount} file${status.problemCount === 1 ? '' : 's'} kept on disk only)` : 'Workspace up to date'
    case 'syncing':
      return status.pending > 0 ? `Workspace: syncing ${status.pending} file${status.pending === 1 ? '' : 's'}` : 'Workspace: syncing'
    case 'full':
      return 'Workspace full: delete files or ask the compute peer\'s operator for more space'
    case 'starting':
      return 'Workspace starting'
    case 'stopped':
      return 'Workspace stopped'
  }
}
