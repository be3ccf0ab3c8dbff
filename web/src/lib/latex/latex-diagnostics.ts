/**
 * Build errors and warnings in the editor: a mark in the gutter on each line and the line's text underlined,
 * with the message on hover (CodeMirror's lint extension, fed from the build outcome instead of a linter).
 * Marks follow edits made after the build, as lint ranges do.
 */
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint'
import type { Extension } from '@codemirror/state'
import type { EditorView } from '@codemirror/view'
import type { LatexDiagnostic } from '@quire/crdt'
import { normalizeTexPath } from './synctex/index.js'

/** A diagnostic with its severity, as the list and the gutter show it. */
export interface BuildDiagnostic extends LatexDiagnostic {
  readonly severity: 'error' | 'warning'
}

/** The gutter for build diagnostics; add to the editor once. */
export function buildDiagnosticsExtension(): Extension {
  return lintGutter()
}

/** Errors first, then warnings, as one list. */
export function buildDiagnostics(errors: readonly LatexDiagnostic[], warnings: readonly LatexDiagnostic[]): BuildDiagnostic[] {
  return [...errors.map((d) => ({ ...d, severity: 'error' as const })), ...warnings.map((d) => ({ ...d, severity: 'warning' as const }))]
}

/**
 * Whether a diagnostic's file (workspace-relative, as the compute peer writes it) is `path`. A diagnostic
 * without a file or line has no place in the text.
 */
export function isInFile(diagnostic: LatexDiagnostic, path: string): boolean {
  return diagnostic.file !== undefined && diagnostic.line !== undefined && normalizeTexPath(diagnostic.file) === normalizeTexPath(path)
}

/** CodeMirror diagnostics for the lines of `path`, each covering its whole line (clamped to the text). */
export function editorDiagnostics(view: EditorView, diagnostics: readonly BuildDiagnostic[], path: string): Diagnostic[] {
  const doc = view.state.doc
  return diagnostics.filter((d) => isInFile(d, path)).map((d) => {
    const line = doc.line(Math.min(d.line!, doc.lines))
    return { from: line.from, to: line.to, severity: d.severity, message: d.message, source: 'LaTeX' }
  })
}

/** Replaces the editor's build marks with these. */
export function showDiagnostics(view: EditorView, diagnostics: readonly BuildDiagnostic[], path: string): void {
  view.dispatch(setDiagnostics(view.state, editorDiagnostics(view, diagnostics, path)))
}
