/**
 * Project file paths: relative, `/`-separated, no `.` or `..` segments, no empty segments, at most 4096
 * characters. The same rules keep a compute peer's workspace directory inside the project.
 */
import { CrdtError } from '../errors.js'

export const MAX_PATH_LENGTH = 4096

/** Why a path is not acceptable, or `undefined` when it is. */
export function pathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string') return 'a path must be a string'
  if (path.length === 0) return 'a path must not be empty'
  if (path.length > MAX_PATH_LENGTH) return `a path must be at most ${MAX_PATH_LENGTH} characters`
  if (path.startsWith('/')) return 'a path must be relative (no leading "/")'
  if (path.includes('\\')) return 'a path must use "/" as separator, not "\\"'
  // Control characters break terminals, file systems and the display of the tree.
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'a path must not contain control characters'
  for (const segment of path.split('/')) {
    if (segment === '') return 'a path must not have empty segments ("//" or a trailing "/")'
    if (segment === '.' || segment === '..') return 'a path must not contain "." or ".." segments'
  }
  return undefined
}

/** A file or folder name on disk is at most 255 bytes (Linux, macOS, Windows alike). */
export const MAX_SEGMENT_BYTES = 255

/** Bytes of `text` in UTF-8 (a lone surrogate counts as the 3-byte replacement character). */
function utf8Length(text: string): number {
  let bytes = 0
  for (const ch of text) {
    const code = ch.codePointAt(0)!
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4
  }
  return bytes
}

/**
 * Why a path is not acceptable for a new or moved entry (P3): {@link pathProblem}, and no segment over
 * {@link MAX_SEGMENT_BYTES} bytes of UTF-8, which no disk can hold and which broke the project's zip. Not
 * applied when reading: entries stored before the limit stay readable.
 */
export function newPathProblem(path: unknown): string | undefined {
  const problem = pathProblem(path)
  if (problem !== undefined) return problem
  for (const segment of (path as string).split('/')) {
    const bytes = utf8Length(segment)
    if (bytes > MAX_SEGMENT_BYTES) return `a file or folder name must be at most ${MAX_SEGMENT_BYTES} bytes (this one has ${bytes}): shorten "${segment.slice(0, 40)}…"`
  }
  return undefined
}

/** Whether `path` may be given to an operation (P3). */
export function isValidPath(path: unknown): path is string {
  return newPathProblem(path) === undefined
}

/** Throws `INVALID_ARGUMENT` saying what is wrong with `path`. */
export function requirePath(path: string): string {
  const problem = newPathProblem(path)
  if (problem !== undefined) {
    throw new CrdtError('INVALID_ARGUMENT', `Invalid path "${String(path).slice(0, 120)}": ${problem}.`)
  }
  return path
}

/** `a/b/c` -> `a/b`; a top-level name -> `''` (the project root). */
export function parentPath(path: string): string {
  const slash = path.lastIndexOf('/')
  return slash < 0 ? '' : path.slice(0, slash)
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/** True when `path` is `folder` itself or lies anywhere under it. */
export function isAtOrUnder(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder + '/')
}

/** Every proper ancestor folder of `path`, outermost first: `a/b/c` -> `['a', 'a/b']`. */
export function ancestorPaths(path: string): string[] {
  const segments = path.split('/')
  const out: string[] = []
  for (let i = 1; i < segments.length; i++) out.push(segments.slice(0, i).join('/'))
  return out
}
