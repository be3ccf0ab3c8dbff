/**
 * Reading the `latex` map of an untrusted text document (B10 to B13): never throws; a malformed request,
 * run or build reads as absent and a malformed diagnostic is left out, each with a problem. Two peers that
 * each created the map concurrently leave two maps (one as an Automerge conflict): the reader takes the
 * latest request, run and build across both, so neither peer's word is lost.
 */
import { getConflicts, type Doc } from '@automerge/automerge'
import { asString, isRecord, type Problem } from '../read/guards.js'
import {
  LATEX_BUILD_STATUSES,
  LATEX_ENGINES,
  LATEX_RUN_STATUSES,
  MAX_DIAGNOSTICS,
  type LatexActivity,
  type LatexBlobRef,
  type LatexBuild,
  type LatexBuildRequest,
  type LatexBuildStatus,
  type LatexDiagnostic,
  type LatexEngine,
  type LatexRead,
  type LatexRun,
  type LatexRunStatus,
} from './latex-types.js'

const HASH = /^[0-9a-f]{64}$/
const ID = /^[A-Za-z0-9_-]{1,128}$/
const PEER = /^[\x21-\x7e]{1,256}$/

/** Every value of the document's `latex` field, the current one first. */
export function latexMaps(doc: unknown): Record<string, unknown>[] {
  if (!isRecord(doc)) return []
  const values: unknown[] = [doc['latex']]
  try {
    const conflicts = getConflicts(doc as Doc<Record<string, unknown>>, 'latex')
    // Conflict keys are operation ids; sorted, every peer walks the maps in one order.
    if (conflicts !== undefined) for (const key of Object.keys(conflicts).sort()) if (conflicts[key] !== doc['latex']) values.push(conflicts[key])
  } catch {
    // Not an Automerge document (a plain value): its one field is all there is.
  }
  return values.filter(isRecord)
}

/** Reads the `latex` map of any value; see the module comment. */
export function readLatex(doc: unknown): LatexRead {
  const problems: Problem[] = []
  try {
    const field = isRecord(doc) ? doc['latex'] : undefined
    if (field !== undefined && !isRecord(field)) problems.push({ path: '/latex', message: 'is not a map; read as no builds' })
    const maps = latexMaps(doc)
    let engine: LatexEngine | undefined
    let request: LatexBuildRequest | undefined
    let run: LatexRun | undefined
    let build: LatexBuild | undefined
    for (const map of maps) {
      const e = readEngine(map['engine'], problems)
      engine ??= e
      const r = readRequest(map['request'], problems)
      if (r !== undefined && (request === undefined || later(r.at, r.id, request.at, request.id))) request = r
      const n = readRun(map['run'], problems)
      if (n !== undefined && (run === undefined || later(n.at, n.id, run.at, run.id))) run = n
      const b = readBuild(map['build'], problems)
      if (b !== undefined && (build === undefined || later(b.finishedAt, b.id, build.finishedAt, build.id))) build = b
    }
    return { engine: engine ?? 'pdf', request, run, build, problems }
  } catch (cause) {
    problems.push({ path: '/latex', message: `could not be read: ${String(cause).slice(0, 200)}` })
    return { engine: 'pdf', request: undefined, run: undefined, build: undefined, problems }
  }
}

/** One word for a status line (B13). */
export function latexActivity(read: Pick<LatexRead, 'request' | 'run' | 'build'>): LatexActivity {
  if (read.run !== undefined) return read.run.status
  if (read.request !== undefined && read.request.id !== read.build?.id) return 'requested'
  return 'idle'
}

function later(at: number, id: string, otherAt: number, otherId: string): boolean {
  return at > otherAt || (at === otherAt && id > otherId)
}

const time = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined)
const str = (v: unknown, re: RegExp): string | undefined => {
  const s = asString(v)
  return s !== undefined && re.test(s) ? s : undefined
}

function readEngine(value: unknown, problems: Problem[]): LatexEngine | undefined {
  if (value === undefined) return undefined
  const engine = asString(value)
  if (engine !== undefined && (LATEX_ENGINES as readonly string[]).includes(engine)) return engine as LatexEngine
  problems.push({ path: '/latex/engine', message: 'is not a known engine; read as pdf' })
  return undefined
}

function readHeads(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length > 64) return undefined
  const heads = value.map((h) => str(h, HASH))
  return heads.every((h): h is string => h !== undefined) ? heads : undefined
}

function readRequest(value: unknown, problems: Problem[]): LatexBuildRequest | undefined {
  if (value === undefined || value === null) return undefined
  const r = isRecord(value) ? value : {}
  const id = str(r['id'], ID)
  const by = str(r['by'], PEER)
  const at = time(r['at'])
  const heads = readHeads(r['heads'])
  const engine = asString(r['engine'])
  if (id === undefined || by === undefined || at === undefined || heads === undefined || heads.length === 0 || !(LATEX_ENGINES as readonly string[]).includes(engine ?? '')) {
    problems.push({ path: '/latex/request', message: 'needs id, by, at, heads and a known engine; read as no request' })
    return undefined
  }
  return { id, by, at, heads, engine: engine as LatexEngine }
}

function readRun(value: unknown, problems: Problem[]): LatexRun | undefined {
  if (value === undefined || value === null) return undefined
  const r = isRecord(value) ? value : {}
  const id = str(r['id'], ID)
  const by = str(r['by'], PEER)
  const at = time(r['at'])
  const status = asString(r['status'])
  if (id === undefined || by === undefined || at === undefined || !(LATEX_RUN_STATUSES as readonly string[]).includes(status ?? '')) {
    problems.push({ path: '/latex/run', message: 'needs id, a known status, by and at; read as idle' })
    return undefined
  }
  return { id, status: status as LatexRunStatus, by, at }
}

function readBlob(value: unknown, path: string, problems: Problem[]): LatexBlobRef | undefined {
  if (value === undefined) return undefined
  const hash = isRecord(value) ? str(value['hash'], HASH) : undefined
  const size = isRecord(value) ? value['size'] : undefined
  if (hash === undefined || !Number.isSafeInteger(size) || (size as number) < 0) {
    problems.push({ path, message: 'needs a sha-256 hash and a size; left out' })
    return undefined
  }
  return { hash, size: size as number }
}

function readDiagnostics(value: unknown, path: string, problems: Problem[]): LatexDiagnostic[] {
  if (!Array.isArray(value)) {
    if (value !== undefined) problems.push({ path, message: 'is not a list; read as none' })
    return []
  }
  const out: LatexDiagnostic[] = []
  value.slice(0, MAX_DIAGNOSTICS).forEach((d: unknown, i) => {
    const message = isRecord(d) ? asString(d['message']) : undefined
    if (!isRecord(d) || message === undefined) {
      problems.push({ path: `${path}/${i}`, message: 'needs a message; left out' })
      return
    }
    const file = asString(d['file'])
    const line = d['line']
    out.push({
      ...(file !== undefined && file.length > 0 && { file }),
      ...(Number.isSafeInteger(line) && (line as number) >= 1 && { line: line as number }),
      message,
    })
  })
  return out
}

function readBuild(value: unknown, problems: Problem[]): LatexBuild | undefined {
  if (value === undefined || value === null) return undefined
  const b = isRecord(value) ? value : {}
  const id = str(b['id'], ID)
  const by = str(b['by'], PEER)
  const status = asString(b['status'])
  const engine = asString(b['engine'])
  const startedAt = time(b['startedAt'])
  const finishedAt = time(b['finishedAt'])
  if (id === undefined || by === undefined || startedAt === undefined || finishedAt === undefined
    || !(LATEX_BUILD_STATUSES as readonly string[]).includes(status ?? '') || !(LATEX_ENGINES as readonly string[]).includes(engine ?? '')) {
    problems.push({ path: '/latex/build', message: 'needs id, a known status and engine, by, startedAt and finishedAt; read as no build' })
    return undefined
  }
  const errors = readDiagnostics(b['errors'], '/latex/build/errors', problems)
  const warnings = readDiagnostics(b['warnings'], '/latex/build/warnings', problems)
  const total = (v: unknown, n: number): number => (Number.isSafeInteger(v) && (v as number) >= n ? (v as number) : n)
  const code = asString(b['code'])
  const message = asString(b['message'])
  const refs: { pdf?: LatexBlobRef; synctex?: LatexBlobRef; log?: LatexBlobRef } = {}
  for (const key of ['pdf', 'synctex', 'log'] as const) {
    const ref = readBlob(b[key], `/latex/build/${key}`, problems)
    if (ref !== undefined) refs[key] = ref
  }
  return {
    id, status: status as LatexBuildStatus, by, engine: engine as LatexEngine, startedAt, finishedAt,
    durationMs: time(b['durationMs']) ?? Math.max(0, finishedAt - startedAt),
    builtHeads: readHeads(b['builtHeads']) ?? [],
    ...(code !== undefined && { code }),
    ...(message !== undefined && { message }),
    ...refs,
    errors, warnings,
    errorCount: total(b['errorCount'], errors.length),
    warningCount: total(b['warningCount'], warnings.length),
  }
}
