/**
 * Which names and paths of the disk may become project entries (crdt P3), and the ignore rules: `.git/`,
 * caches and whatever `.quireignore` (gitignore syntax) lists stay on disk only.
 */
import ignore, { type Ignore } from 'ignore'
import { MAX_PATH_LENGTH, pathProblem } from '@quire/crdt'
import type { WorkspaceProblemCode } from './types.js'
import { TEMP_DIR, TEMP_PREFIX } from './disk-io.js'

/** Ignored unless `.quireignore` says otherwise (`!pattern`). LaTeX's aux files are not: builds need them shared. */
export const DEFAULT_IGNORES = ['.git/', '__pycache__/', '.ipynb_checkpoints/', '*.pyc', `${TEMP_PREFIX}*`, `/${TEMP_DIR}/`]

/** The ignore file at the root of the workspace. */
export const IGNORE_FILE = '.quireignore'

export class IgnoreRules {
  #rules: Ignore = ignore().add(DEFAULT_IGNORES)

  /** Replaces the rules with the defaults plus the text of `.quireignore` (undefined: none). */
  load(text: string | undefined): void {
    const rules = ignore().add(DEFAULT_IGNORES)
    if (text !== undefined) rules.add(text)
    // The workspace's own temporary files stay ignored whatever the file says.
    rules.add([`${TEMP_PREFIX}*`, `/${TEMP_DIR}/`])
    this.#rules = rules
  }

  /** Whether a relative path (a directory with `isDir`) stays on disk only. */
  ignores(path: string, isDir = false): boolean {
    try {
      return this.#rules.ignores(isDir ? `${path}/` : path)
    } catch {
      return true // a path `ignore` refuses (not relative) is no project path either
    }
  }
}

/** Why a relative disk path cannot be a project path, or undefined when it can. */
export function nameProblem(path: string): { code: WorkspaceProblemCode; message: string } | undefined {
  if (path.includes('\uFFFD')) {
    return { code: 'WORKSPACE_BAD_NAME', message: 'the file name is not valid UTF-8; rename it to sync it' }
  }
  if (path.length > MAX_PATH_LENGTH) {
    return { code: 'WORKSPACE_PATH_TOO_LONG', message: `the path is longer than ${MAX_PATH_LENGTH} characters; shorten it to sync it` }
  }
  const problem = pathProblem(path)
  if (problem !== undefined) return { code: 'WORKSPACE_BAD_NAME', message: `${problem}; rename it to sync it` }
  return undefined
}
