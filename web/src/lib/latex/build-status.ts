/**
 * The build status line of the LaTeX view: what the document's `latex` map says (request, run, build), read
 * with what the app knows about the compute peer, as one line a person can act on ("Building… 3 s",
 * "Built in 1.2 s", "Failed: 2 errors", "LaTeX is not installed on the compute peer").
 */
import { LATEX_BUILD_CODES, latexActivity, type LatexBuild, type LatexRead } from '@quire/crdt'
import { NO_COMPUTE_PEER, type ComputePeersInfo } from '../notebook/kernel-status.js'

export interface BuildBanner {
  readonly tone: 'ok' | 'busy' | 'warning' | 'error'
  readonly text: string
  readonly detail?: string
}

/** "1.2 s" under 10 s, "12 s" under a minute, "2 min 5 s" above. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, ms) / 1000
  if (seconds < 10) return `${(Math.round(seconds * 10) / 10).toFixed(1)} s`
  if (seconds < 60) return `${Math.round(seconds)} s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/**
 * The status line. `runningSince` is when this browser first saw the build running (its own clock: the compute
 * peer's clock may differ), `now` the time now; `compute` undefined means "judge from the document alone".
 */
export function buildBanner(read: Pick<LatexRead, 'request' | 'run' | 'build'>, compute: ComputePeersInfo | undefined, now: number, runningSince?: number): BuildBanner {
  const activity = latexActivity(read)
  const last = read.build
  const lastLine = last ? outcomeBanner(last) : undefined
  const behind = lastLine ? `Last build: ${lastLine.text}` : undefined
  if (compute && compute.assigned === null) {
    return { tone: 'warning', text: `${NO_COMPUTE_PEER} to build.`, ...(behind && { detail: behind }) }
  }
  if (compute && !compute.online && activity !== 'idle') {
    return { tone: 'warning', text: 'The compute peer is offline: the build runs when it is back.', ...(behind && { detail: behind }) }
  }
  switch (activity) {
    case 'running': {
      const elapsed = runningSince === undefined ? 0 : Math.floor((now - runningSince) / 1000)
      return { tone: 'busy', text: `Building… ${elapsed} s`, ...(behind && { detail: behind }) }
    }
    case 'queued':
      return { tone: 'busy', text: 'Build queued on the compute peer…', ...(behind && { detail: behind }) }
    case 'requested':
      return { tone: 'busy', text: 'Build requested…', ...(behind && { detail: behind }) }
    case 'idle':
      break
  }
  if (lastLine) return lastLine
  if (compute && !compute.online) return { tone: 'warning', text: 'The compute peer is offline: builds wait until it is back.' }
  return { tone: 'ok', text: 'Not built yet.' }
}

/** How a finished build ended, as a status line. */
export function outcomeBanner(build: LatexBuild): BuildBanner {
  const took = formatDuration(build.durationMs)
  const warnings = build.warningCount > 0 ? plural(build.warningCount, 'warning') : undefined
  switch (build.status) {
    case 'done':
      return { tone: 'ok', text: `Built in ${took}`, ...(warnings && { detail: warnings }) }
    case 'failed':
      return {
        tone: 'error', text: `Failed: ${plural(build.errorCount, 'error')}`,
        detail: [warnings, build.pdf ? 'the PDF shown is what TeX made anyway' : undefined].filter(Boolean).join('; ') || (build.message ?? `after ${took}`),
      }
    case 'timeout':
      return { tone: 'error', text: `Stopped at the time limit after ${took}`, detail: build.message ?? 'Look for a loop in the document (a macro that calls itself).' }
    case 'error':
      if (build.code === LATEX_BUILD_CODES.missing) {
        return { tone: 'error', text: 'LaTeX is not installed on the compute peer.', detail: build.message ?? 'Ask whoever runs it to install TeX Live and latexmk (quire setup does).' }
      }
      if (build.code === LATEX_BUILD_CODES.notWriter) {
        return { tone: 'error', text: 'The build was refused: only writers can build.', ...(build.message !== undefined && { detail: build.message }) }
      }
      return { tone: 'error', text: 'Could not build.', detail: build.message ?? build.code ?? 'The compute peer gave no reason.' }
  }
}
