/**
 * TeX's log as errors and warnings with file and line (TX10 to TX13). The build runs with
 * `-file-line-error`, so errors read `./chapters/intro.tex:12: Undefined control sequence.`; warnings carry
 * `on input line N` and belong to the file TeX had open then, which the log shows as `(./file.tex ... )`
 * nesting. Lines are not wrapped: the build sets `max_print_line` high. A small parser instead of a
 * library: the npm ones parse LaTeX sources, not logs, or pull a PEG runtime for the same few patterns.
 */
import { posix } from 'node:path'

/** One error or warning, with the file as the log names it (see {@link toWorkspacePath}). */
export interface LogEntry {
  readonly file?: string
  readonly line?: number
  readonly message: string
}

export interface ParsedLog {
  readonly errors: LogEntry[]
  readonly warnings: LogEntry[]
}

/** Errors and warnings past this many are counted, not kept (the document keeps 200 of each). */
const KEEP = 1000
const MESSAGE = 500

const FILE_LINE_ERROR = /^(\.{0,2}\/?[^\s:()][^:()]*\.[A-Za-z0-9]+):(\d+): (.+)$/
const BANG_ERROR = /^! (.+)$/
const CONTEXT = /^l\.(\d+) ?(.*)$/
const LATEX_WARNING = /^(?:LaTeX|Package [\w.-]+|Class [\w.-]+|pdfTeX|LaTeX Font) Warning: (.*)$/
const CONTINUATION = /^\([\w.-]+\) {2,}(.*)$/
const INPUT_LINE = /on input line (\d+)\.?/
const BOX = /^(?:Over|Under)full \\[hv]box .*?(?: (?:in paragraph|in alignment|detected) at lines? (\d+)(?:--\d+)?)?$/

/**
 * Parses a TeX log. `counts` are the totals (more than kept when the log is huge). Never throws: a line it
 * does not understand is skipped.
 */
export function parseTexLog(log: string): ParsedLog & { errorCount: number; warningCount: number } {
  const errors: LogEntry[] = []
  const warnings: LogEntry[] = []
  let errorCount = 0
  let warningCount = 0
  const files = new FileStack()
  const lines = log.split(/\r?\n/)
  const seenErrors = new Set<string>()
  const addError = (entry: LogEntry): void => {
    const key = `${entry.file ?? ''}:${entry.line ?? ''}:${entry.message}`
    if (seenErrors.has(key)) return
    seenErrors.add(key)
    errorCount++
    if (errors.length < KEEP) errors.push(entry)
  }
  const addWarning = (entry: LogEntry): void => {
    warningCount++
    if (warnings.length < KEEP) warnings.push(entry)
  }
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!
    const fileLine = FILE_LINE_ERROR.exec(text)
    if (fileLine !== null && !text.startsWith('(')) {
      const context = contextAfter(lines, i)
      addError({ file: fileLine[1]!, line: Number(fileLine[2]), message: cut(withContext(fileLine[3]!, context?.text)) })
      continue
    }
    const bang = BANG_ERROR.exec(text)
    if (bang !== null) {
      // Without file:line form (an error in a format or before the first file): the context line has the line.
      const context = contextAfter(lines, i)
      const file = files.top()
      addError({ ...(file !== undefined && { file }), ...(context !== undefined && { line: context.line }), message: cut(withContext(bang[1]!, context?.text)) })
      continue
    }
    const warning = LATEX_WARNING.exec(text)
    if (warning !== null) {
      let message = warning[1]!
      while (i + 1 < lines.length && CONTINUATION.test(lines[i + 1]!)) message += ' ' + CONTINUATION.exec(lines[++i]!)![1]!
      const line = INPUT_LINE.exec(message)
      const file = files.top()
      addWarning({ ...(file !== undefined && { file }), ...(line !== null && { line: Number(line[1]) }), message: cut(message.trim()) })
      continue
    }
    const box = BOX.exec(text)
    if (box !== null) {
      const file = files.top()
      addWarning({ ...(file !== undefined && { file }), ...(box[1] !== undefined && { line: Number(box[1]) }), message: cut(text.trim()) })
      continue
    }
    files.scan(text)
  }
  return { errors, warnings, errorCount, warningCount }
}

function cut(message: string): string {
  return message.length <= MESSAGE ? message : `${message.slice(0, MESSAGE - 1)}…`
}

function withContext(message: string, context: string | undefined): string {
  const trimmed = context?.trim()
  return trimmed ? `${message} (at: ${trimmed.slice(-80)})` : message
}

/** The `l.12 \foo` line TeX prints a few lines after an error. */
function contextAfter(lines: readonly string[], at: number): { line: number; text: string } | undefined {
  for (let j = at + 1; j < Math.min(lines.length, at + 12); j++) {
    const m = CONTEXT.exec(lines[j]!)
    if (m !== null) return { line: Number(m[1]), text: m[2]! }
    if (FILE_LINE_ERROR.test(lines[j]!) || BANG_ERROR.test(lines[j]!)) return undefined
  }
  return undefined
}

/**
 * Which file TeX has open: `(` followed by a file name opens one, a `)` closes the innermost. Parentheses
 * inside messages confuse this in rare cases; a warning then names the enclosing file, never a wrong line.
 */
class FileStack {
  readonly #stack: Array<string | undefined> = []

  top(): string | undefined {
    for (let i = this.#stack.length - 1; i >= 0; i--) if (this.#stack[i] !== undefined) return this.#stack[i]
    return undefined
  }

  scan(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]
      if (c === '(') {
        const name = /^\(([^\s()[\]{}"]+)/.exec(text.slice(i))?.[1]
        const file = name !== undefined && /\.[A-Za-z0-9]+$/.test(name) && (name.startsWith('./') || name.startsWith('/') || name.startsWith('../') || !name.includes(' ')) ? name : undefined
        this.#stack.push(file)
        if (name !== undefined) i += name.length
      } else if (c === ')') {
        this.#stack.pop()
      }
    }
  }
}

/**
 * A path from the log as a workspace-relative path: relative names are relative to the directory the main
 * file is in (latexmk `-cd`); absolute names inside the workspace are made relative. Anything outside the
 * workspace (a class file in TeX Live, the build directory) has no workspace path: undefined.
 */
export function toWorkspacePath(name: string, mainDir: string, workdir: string): string | undefined {
  let relative: string
  if (name.startsWith('/')) {
    const root = workdir.endsWith('/') ? workdir : `${workdir}/`
    if (!name.startsWith(root)) return undefined
    relative = name.slice(root.length)
  } else {
    relative = posix.join(mainDir, name)
  }
  const normal = posix.normalize(relative)
  if (normal === '.' || normal.startsWith('../') || normal === '..' || normal.startsWith('/')) return undefined
  return normal
}
