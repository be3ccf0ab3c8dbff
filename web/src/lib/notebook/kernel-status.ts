/**
 * The kernel status line: what the compute peer wrote in the notebook's kernel area (`readKernel`), read
 * together with who is assigned to the project and who is online, as one message a person can act on.
 */
import type { KernelRead, KernelRequest } from '@quire/crdt'

/**
 * What the app knows about compute peers, for the status line. The notebook cannot know this from its own
 * document: the assignment is in the project document and being online is a network fact.
 */
export interface ComputePeersInfo {
  /** Peer id of the compute peer assigned in the project settings (`settings.computePeer`), or null. */
  readonly assigned: string | null
  /** Whether the assigned compute peer is connected now (directly or through a relay). */
  readonly online: boolean
  /** A display name for the assigned compute peer, if the app has one. */
  readonly name?: string
  /** What the assigned compute peer answered when this (admin's) app asked it to serve the project (A34). */
  readonly serving?: ComputeServing
}

/** The answer to a request to serve the project: `failed` is retried, `refused` needs an admin. */
export type ComputeServing =
  | { readonly state: 'asking' }
  | { readonly state: 'serving' }
  | { readonly state: 'refused' | 'failed'; readonly message: string }

/** How the status line looks. `progress` shows an indeterminate progress bar (the kernel is starting). */
export interface KernelBanner {
  readonly tone: 'ok' | 'busy' | 'warning' | 'error'
  readonly text: string
  readonly detail?: string
  readonly progress: boolean
}

/** How long a refused request stays visible in the status line. */
const REFUSAL_SHOWN_MS = 30_000

export const NO_COMPUTE_PEER = 'No compute peer serves this project: ask an admin to assign one'

/**
 * The status line for a kernel area, the app's compute peer info (undefined: not known, judge from the
 * document alone), the number of cells waiting to run, and the time now.
 */
export function kernelBanner(kernel: KernelRead, compute: ComputePeersInfo | undefined, queuedCells: number, now: number): KernelBanner {
  const waiting = queuedCells > 0 ? ` ${plural(queuedCells, 'cell')} waiting to run.` : ''
  if (compute && compute.assigned === null) {
    return { tone: 'warning', text: NO_COMPUTE_PEER, progress: false, ...(waiting ? { detail: waiting.trim() } : {}) }
  }
  const peerName = compute?.name ?? shortPeer(compute?.assigned ?? kernel.state?.peer ?? kernel.offer?.peer)
  const serving = compute?.serving
  if (serving?.state === 'refused') {
    return { tone: 'error', text: `The compute peer ${peerName} refused to serve this project: ${serving.message}`, progress: false, ...(waiting ? { detail: waiting.trim() } : {}) }
  }
  if (compute && !compute.online) {
    return {
      tone: 'warning',
      text: `The compute peer ${peerName} is offline: cells you run wait until it is back.${waiting}`,
      progress: false,
    }
  }
  const refusal = recentRefusal(kernel.requests, now)
  const pending = pendingRequest(kernel.requests)
  const state = kernel.state
  // A state left by a compute peer that is no longer the assigned one says nothing about the kernel now.
  const stale = state !== undefined && compute !== undefined && compute.assigned !== state.peer
  if (state === undefined || stale) {
    const text = serving?.state === 'serving'
      ? `The compute peer ${peerName} serves this project: the kernel starts when you run a cell.`
      : `Kernel not started: it starts on ${peerName} when you run a cell.`
    const asked = serving?.state === 'failed' ? `Could not reach ${peerName} yet (${serving.message}); retrying.` : serving?.state === 'asking' ? `Asking ${peerName} to serve this project…` : ''
    const detail = [asked, waiting ? `Starting soon.${waiting}` : ''].filter((part) => part !== '').join(' ')
    return { tone: 'ok', text, progress: false, ...(detail ? { detail } : {}) }
  }
  const name = kernel.offer?.kernels.find((k) => k.name === state.spec)?.displayName ?? state.spec
  const detail = [pending ? `${capitalize(pending.action)} requested…` : '', refusal ? `Request refused: ${refusal.refused}` : '', state.message ?? '']
    .filter((part) => part !== '')
    .join(' · ')
  const withDetail = detail === '' ? {} : { detail }
  switch (state.status) {
    case 'starting':
      return { tone: 'busy', text: `Starting kernel ${name}…`, progress: true, ...withDetail }
    case 'restarting':
      return { tone: 'busy', text: `Restarting kernel ${name}…`, progress: true, ...withDetail }
    case 'busy':
      return { tone: 'busy', text: `${name}: busy`, progress: false, ...withDetail }
    case 'idle':
      return { tone: 'ok', text: `${name}: idle`, progress: false, ...withDetail }
    case 'dead':
      return {
        tone: 'error',
        text: `Kernel ${name} stopped${state.message ? `: ${state.message}` : ''}. Run a cell or restart to start a new one.`,
        progress: false,
        ...(pending ? { detail: `${capitalize(pending.action)} requested…` } : {}),
      }
  }
}

function pendingRequest(requests: readonly KernelRequest[]): KernelRequest | undefined {
  return requests.filter((r) => r.handledAt === undefined).at(-1)
}

function recentRefusal(requests: readonly KernelRequest[], now: number): KernelRequest | undefined {
  return requests.filter((r) => r.refused !== undefined && r.handledAt !== undefined && now - r.handledAt < REFUSAL_SHOWN_MS).at(-1)
}

function shortPeer(peer: string | undefined): string {
  if (peer === undefined) return 'the compute peer'
  return peer.length > 14 ? `…${peer.slice(-8)}` : peer
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1)
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** "3.2 s", "1 min 05 s": elapsed time of a running cell. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, ms) / 1000
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const whole = Math.floor(seconds)
  const minutes = Math.floor(whole / 60)
  if (minutes < 60) return `${minutes} min ${String(whole % 60).padStart(2, '0')} s`
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`
}

/** "Alice", "Alice and Bob", "Alice, Bob and 2 others". */
function namesList(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? ''
  if (names.length <= 3) return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`
  return `${names.slice(0, 2).join(', ')} and ${names.length - 2} others`
}

/** The question asked before a restart or "Run all" while `others` (display names) are in the notebook. */
export function sharedActionQuestion(action: 'restart' | 'run-all', others: readonly string[]): string {
  const who = namesList(others)
  const verb = others.length === 1 ? 'has' : 'have'
  return action === 'restart'
    ? `Restart the kernel? ${who} ${verb} this notebook open: the kernel's variables are lost for everyone and a running cell is stopped.`
    : `Run every cell? ${who} ${verb} this notebook open: every output is replaced, top to bottom, for everyone.`
}
