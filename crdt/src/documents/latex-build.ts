/**
 * Writing the `latex` map of a text document (B1 to B9): members set the engine and ask for builds; the
 * compute peer writes what it is doing (`run`) and the outcome (`build`). Each is replaced as one value, so
 * concurrent writes resolve to one whole value, never a mix. Run inside `Automerge.change`/`handle.change`.
 * The shape is described in latex-types.ts.
 */
import { CrdtError } from '../errors.js'
import { isRecord } from '../read/guards.js'
import { atom, isValidId, newId, requireId, requirePeerId, requireTime } from './atoms.js'
import {
  LATEX_BUILD_STATUSES,
  LATEX_ENGINES,
  LATEX_RUN_STATUSES,
  MAX_BUILD_MESSAGE,
  MAX_DIAGNOSTIC_MESSAGE,
  MAX_DIAGNOSTICS,
  type LatexBlobRef,
  type LatexBuild,
  type LatexDiagnostic,
  type LatexEngine,
  type LatexRun,
} from './latex-types.js'
import type { TextDoc } from './text.js'

type Root = Record<string, unknown>

/** Automerge change hashes, as `Automerge.getHeads` gives them (not automerge-repo's base58 `handle.heads()`). */
const HEAD = /^[0-9a-f]{64}$/
const HASH = /^[0-9a-f]{64}$/
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/
const MAX_HEADS = 64
const MAX_PATH = 4096

function bad(message: string): never {
  throw new CrdtError('INVALID_ARGUMENT', message)
}

/** The `latex` map to write into, created when absent. The document must look like a text document. */
function latexMap(doc: TextDoc): Root {
  const root = doc as unknown as Root
  if (!isRecord(root) || typeof root['content'] !== 'string') {
    throw new CrdtError('INVALID_DOCUMENT', 'LaTeX builds live in a text document; this one has no text content. Open the .tex file\'s document.')
  }
  if (!isRecord(root['latex'])) root['latex'] = {}
  return root['latex'] as Root
}

function requireEngine(value: unknown): LatexEngine {
  if (!(LATEX_ENGINES as readonly unknown[]).includes(value)) bad(`engine must be one of ${LATEX_ENGINES.join(', ')}.`)
  return value as LatexEngine
}

function requireHeads(value: unknown, what: string, allowEmpty: boolean): string[] {
  if (!Array.isArray(value) || value.length > MAX_HEADS || (!allowEmpty && value.length === 0)) {
    bad(`${what} must be a list of ${allowEmpty ? 0 : 1} to ${MAX_HEADS} document heads as Automerge.getHeads(handle.doc()) gives them.`)
  }
  return value.map((h, i) => {
    if (typeof h !== 'string' || !HEAD.test(h)) bad(`${what}[${i}] is not a 64-character hex change hash; use Automerge.getHeads(handle.doc()), not handle.heads() (base58).`)
    return h
  })
}

/** Sets the file's engine (B2). */
export function setLatexEngine(doc: TextDoc, engine: LatexEngine): void {
  const checked = requireEngine(engine)
  latexMap(doc)['engine'] = atom(checked)
}

/** What a member passes to {@link requestBuild}. */
export interface LatexRequestInit {
  /** The member's peer id. */
  readonly by: string
  /** The document's heads before this change (`Automerge.getHeads(handle.doc())`, hex): the version to build, or a later one. */
  readonly heads: readonly string[]
  /** Defaults to now. */
  readonly at?: number
  /** Defaults to the file's engine setting, else `pdf`. */
  readonly engine?: LatexEngine
  /** Generated when absent (1 to 128 letters, digits, `-`, `_`). */
  readonly id?: string
}

/** Asks for a build (B3): replaces the previous request and returns the new request's id. */
export function requestBuild(doc: TextDoc, init: LatexRequestInit): string {
  if (!isRecord(init)) bad('requestBuild needs { by, heads, at?, engine?, id? }.')
  const by = requirePeerId(init.by, 'by')
  const heads = requireHeads(init.heads, 'heads', false)
  const at = requireTime(init.at ?? Date.now(), 'at')
  const id = init.id === undefined ? newId() : requireId(init.id, 'id')
  const map = latexMap(doc)
  const setting = map['engine']
  const engine = init.engine !== undefined ? requireEngine(init.engine)
    : (LATEX_ENGINES as readonly string[]).includes(String(setting)) ? (String(setting) as LatexEngine) : 'pdf'
  map['request'] = { id: atom(id), by: atom(by), at, heads: heads.map(atom), engine: atom(engine) }
  return id
}

/** The compute peer says what it does about a request now (B4); `null` clears it (idle). */
export function setBuildRun(doc: TextDoc, run: LatexRun | null): void {
  if (run === null) {
    const map = (doc as unknown as Root)['latex']
    if (isRecord(map) && map['run'] !== undefined) delete map['run']
    return
  }
  if (!isRecord(run)) bad('run must be { id, status, by, at } or null.')
  if (!(LATEX_RUN_STATUSES as readonly unknown[]).includes(run.status)) bad(`run.status must be one of ${LATEX_RUN_STATUSES.join(', ')}.`)
  const stored = { id: atom(requireId(run.id, 'run.id')), status: atom(run.status), by: atom(requirePeerId(run.by, 'run.by')), at: requireTime(run.at, 'run.at') }
  latexMap(doc)['run'] = stored
}

/**
 * The compute peer writes a finished build (B5, B6) as one value and clears `run`. Errors and warnings beyond
 * {@link MAX_DIAGNOSTICS} are dropped and messages cut to {@link MAX_DIAGNOSTIC_MESSAGE} characters (the
 * counts keep the totals); a malformed field is `INVALID_ARGUMENT` and changes nothing.
 */
export function setBuildOutcome(doc: TextDoc, build: LatexBuild): void {
  if (!isRecord(build)) bad('build must be a LatexBuild object.')
  if (!(LATEX_BUILD_STATUSES as readonly unknown[]).includes(build.status)) bad(`build.status must be one of ${LATEX_BUILD_STATUSES.join(', ')}.`)
  const startedAt = requireTime(build.startedAt, 'build.startedAt')
  const finishedAt = requireTime(build.finishedAt, 'build.finishedAt')
  const durationMs = requireTime(build.durationMs, 'build.durationMs')
  const errors = diagnostics(build.errors, 'build.errors')
  const warnings = diagnostics(build.warnings, 'build.warnings')
  const stored: Root = {
    id: atom(requireId(build.id, 'build.id')),
    status: atom(build.status),
    by: atom(requirePeerId(build.by, 'build.by')),
    engine: atom(requireEngine(build.engine)),
    startedAt, finishedAt, durationMs,
    builtHeads: requireHeads(build.builtHeads, 'build.builtHeads', true).map(atom),
    errors, warnings,
    errorCount: count(build.errorCount, errors.length, 'build.errorCount'),
    warningCount: count(build.warningCount, warnings.length, 'build.warningCount'),
  }
  if (build.code !== undefined) {
    if (typeof build.code !== 'string' || !CODE.test(build.code)) bad('build.code must be a SCREAMING_SNAKE code of at most 64 characters.')
    stored['code'] = atom(build.code)
  }
  if (build.message !== undefined) {
    if (typeof build.message !== 'string') bad('build.message must be a string.')
    stored['message'] = atom(build.message.slice(0, MAX_BUILD_MESSAGE))
  }
  for (const key of ['pdf', 'synctex', 'log'] as const) {
    const ref = build[key]
    if (ref !== undefined) stored[key] = blobRef(ref, `build.${key}`)
  }
  const map = latexMap(doc)
  map['build'] = stored
  if (map['run'] !== undefined) delete map['run']
}

function blobRef(value: LatexBlobRef, what: string): Root {
  if (!isRecord(value) || typeof value.hash !== 'string' || !HASH.test(value.hash)) bad(`${what}.hash must be a lowercase hex sha-256.`)
  if (!Number.isSafeInteger(value.size) || value.size < 0) bad(`${what}.size must be a whole number >= 0.`)
  return { hash: atom(value.hash), size: value.size }
}

function count(value: unknown, stored: number, what: string): number {
  if (value === undefined) return stored
  if (!Number.isSafeInteger(value) || (value as number) < stored) bad(`${what} must be a whole number, at least the number of entries stored.`)
  return value as number
}

function diagnostics(value: unknown, what: string): Root[] {
  if (!Array.isArray(value)) bad(`${what} must be a list of { file?, line?, message }.`)
  return (value as unknown[]).slice(0, MAX_DIAGNOSTICS).map((d, i) => {
    if (!isRecord(d) || typeof d['message'] !== 'string') bad(`${what}[${i}] must be { file?, line?, message }.`)
    const out: Root = { message: atom(d['message'].slice(0, MAX_DIAGNOSTIC_MESSAGE)) }
    const { file, line } = d as Partial<LatexDiagnostic>
    if (file !== undefined) {
      if (typeof file !== 'string' || file.length === 0 || file.length > MAX_PATH) bad(`${what}[${i}].file must be a workspace path.`)
      out['file'] = atom(file)
    }
    if (line !== undefined) {
      if (!Number.isSafeInteger(line) || line < 1) bad(`${what}[${i}].line must be a line number (1 or more).`)
      out['line'] = line
    }
    return out
  })
}

/** Whether `id` may key a request (for callers that check before writing). */
export function isLatexRequestId(id: unknown): id is string {
  return typeof id === 'string' && isValidId(id)
}
