/**
 * LaTeX builds in a text document (rules B1 to B15 in crdt/SPEC.md). The main `.tex` file's text document
 * holds, beside `content`, a `latex` map:
 *
 * - `engine`: the file's engine setting (`pdf`, `xelatex`, `lualatex`), written by members;
 * - `request`: the latest build request, one value (a newer request replaces the older whole: a compute peer
 *   builds the latest version anyway, so nothing is lost when requests coalesce);
 * - `run`: what the compute peer is doing about a request now (`queued`: waiting for the workspace to write
 *   the requested version, or behind a running build; `running`), or absent when idle;
 * - `build`: the last finished build, one value, kept while the next one runs so a viewer keeps its PDF.
 *
 * A request is pending while `request.id` differs from both `run.id` and `build.id`.
 */
import type { Problem } from '../read/guards.js'

/** latexmk's engine switch: `-pdf` (pdflatex), `-xelatex`, `-lualatex`. */
export type LatexEngine = 'pdf' | 'xelatex' | 'lualatex'

export const LATEX_ENGINES: readonly LatexEngine[] = ['pdf', 'xelatex', 'lualatex']

/** A member's request to build the file. */
export interface LatexBuildRequest {
  /** Random id; the outcome names it (`build.id`). */
  readonly id: string
  /** Peer id of the member who asked: only a writer's request runs. */
  readonly by: string
  /** Milliseconds since 1970, by the requester's clock. */
  readonly at: number
  /**
   * The document heads the member asked to build, as Automerge change hashes (64 hex characters, as
   * `Automerge.getHeads(handle.doc())` gives them; `decodeHeads(handle.heads())` is the same): the compute
   * peer builds this version or a later one.
   */
  readonly heads: readonly string[]
  readonly engine: LatexEngine
}

/** What the compute peer does about a request now. */
export type LatexRunStatus = 'queued' | 'running'

export const LATEX_RUN_STATUSES: readonly LatexRunStatus[] = ['queued', 'running']

/** The compute peer's current activity for one request. */
export interface LatexRun {
  /** The request id. */
  readonly id: string
  readonly status: LatexRunStatus
  /** Peer id of the compute peer. */
  readonly by: string
  /** When it entered this status (compute peer's clock). */
  readonly at: number
}

/**
 * How a build ended. `done`: latexmk succeeded; `failed`: TeX reported errors (a PDF may still be there);
 * `timeout`: killed at the time limit; `error`: it could not run (see `code`: not a writer, LaTeX missing, ...).
 */
export type LatexBuildStatus = 'done' | 'failed' | 'timeout' | 'error'

export const LATEX_BUILD_STATUSES: readonly LatexBuildStatus[] = ['done', 'failed', 'timeout', 'error']

/** Stable codes a compute peer writes into `build.code` (others may appear: any SCREAMING_SNAKE code reads). */
export const LATEX_BUILD_CODES = {
  /** The requester is not a writer of the project: the request never ran. */
  notWriter: 'LATEX_NOT_A_WRITER',
  /** latexmk or TeX Live is not installed on the compute peer; `message` says what to install. */
  missing: 'LATEX_MISSING',
  /** The build was killed at its time limit. */
  timeout: 'LATEX_TIMEOUT',
  /** TeX reported errors. */
  texErrors: 'LATEX_ERRORS',
  /** The workspace did not write the requested version to disk in time. */
  notWritten: 'LATEX_NOT_WRITTEN',
  /** The file is not in the project's file tree (or not a `.tex` text file). */
  noFile: 'LATEX_NO_FILE',
  /** An output passed the file-size limit. */
  tooLarge: 'LATEX_OUTPUT_TOO_LARGE',
  /** Anything else that stopped the build (the sandbox failed to start, the disk is full). */
  failed: 'LATEX_BUILD_FAILED',
} as const

/** A content-addressed blob: lowercase hex sha-256 and size in bytes. */
export interface LatexBlobRef {
  readonly hash: string
  readonly size: number
}

/** One error or warning from the log. */
export interface LatexDiagnostic {
  /** Workspace-relative path of the file, when the log names one inside the workspace. */
  readonly file?: string
  /** 1-based line, when known. */
  readonly line?: number
  /** At most {@link MAX_DIAGNOSTIC_MESSAGE} characters. */
  readonly message: string
}

/** At most this many errors and this many warnings are stored; `errorCount`/`warningCount` say how many there were. */
export const MAX_DIAGNOSTICS = 200
export const MAX_DIAGNOSTIC_MESSAGE = 500
export const MAX_BUILD_MESSAGE = 4096

/** The outcome of a finished build. */
export interface LatexBuild {
  /** The request id built. */
  readonly id: string
  readonly status: LatexBuildStatus
  /** Why it is not `done`, as a stable code (see {@link LATEX_BUILD_CODES}). */
  readonly code?: string
  /** A human-readable line: what went wrong and what to do. */
  readonly message?: string
  /** Peer id of the compute peer. */
  readonly by: string
  readonly engine: LatexEngine
  readonly startedAt: number
  readonly finishedAt: number
  readonly durationMs: number
  /** The heads (hex change hashes) of the main document version whose text the build used ([] when it never ran); `textAt(doc, builtHeads)` is that text. */
  readonly builtHeads: readonly string[]
  readonly pdf?: LatexBlobRef
  /** The `.synctex.gz` file. */
  readonly synctex?: LatexBlobRef
  /** latexmk's and TeX's raw log. */
  readonly log?: LatexBlobRef
  readonly errors: readonly LatexDiagnostic[]
  readonly warnings: readonly LatexDiagnostic[]
  /** How many errors and warnings the log had (more than stored when over {@link MAX_DIAGNOSTICS}). */
  readonly errorCount: number
  readonly warningCount: number
}

/** What `readLatex` returns for any value. */
export interface LatexRead {
  /** The file's engine setting; `pdf` when none is set. */
  readonly engine: LatexEngine
  readonly request: LatexBuildRequest | undefined
  readonly run: LatexRun | undefined
  readonly build: LatexBuild | undefined
  readonly problems: readonly Problem[]
}

/** One word for a status line: `idle`, `requested` (nobody picked the request up yet), `queued`, `running`. */
export type LatexActivity = 'idle' | 'requested' | 'queued' | 'running'
