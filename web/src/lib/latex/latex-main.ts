/**
 * Which `.tex` files open as LaTeX documents, and which document builds them. A file with a
 * `\documentclass` outside comments is a main file: it builds itself. Another `.tex` file is a part
 * (`\input`, `\include`): it opens beside the PDF of the main file last opened in the project in this
 * browser, else of a `main.tex` in its folder or above; with neither, in the plain editor.
 */
import type { FileEntry } from '@quire/crdt'

/** Whether `path` names a `.tex` file whose text makes it a document to build. */
export function isLatexMain(path: string, text: string | undefined): boolean {
  if (!/\.tex$/i.test(path) || text === undefined) return false
  return text.split('\n').some((line) => /^[^%]*\\documentclass\b/.test(line.replace(/\\%/g, '')))
}

const lastMain = new Map<string, string>()

/** Notes that `fileId` is the main file being worked on in `projectId`. */
export function rememberMain(projectId: string, fileId: string): void {
  lastMain.set(projectId, fileId)
}

/** The main file that builds the part at `partPath`, if one can be named. */
export function mainFor(projectId: string, files: readonly FileEntry[], partPath: string): FileEntry | undefined {
  if (!/\.tex$/i.test(partPath)) return undefined
  const remembered = lastMain.get(projectId)
  const found = files.find((f) => f.id === remembered && f.kind === 'text' && f.path !== partPath)
  if (found) return found
  const parts = partPath.split('/').slice(0, -1)
  for (let depth = parts.length; depth >= 0; depth--) {
    const path = [...parts.slice(0, depth), 'main.tex'].join('/')
    const main = files.find((f) => f.path === path && f.kind === 'text')
    if (main && main.path !== partPath) return main
  }
  return undefined
}
