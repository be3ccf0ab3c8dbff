/**
 * Syntax highlighting chosen by file name. Lezer grammars where CodeMirror has one, legacy stream modes
 * (LaTeX, shell, R, TOML, YAML, Julia) otherwise.
 */
import { javascript } from '@codemirror/lang-javascript'
import { json } from '@codemirror/lang-json'
import { markdown } from '@codemirror/lang-markdown'
import { python } from '@codemirror/lang-python'
import { StreamLanguage, indentUnit, type StreamParser } from '@codemirror/language'
import { julia } from '@codemirror/legacy-modes/mode/julia'
import { r } from '@codemirror/legacy-modes/mode/r'
import { shell } from '@codemirror/legacy-modes/mode/shell'
import { stex } from '@codemirror/legacy-modes/mode/stex'
import { toml } from '@codemirror/legacy-modes/mode/toml'
import { yaml } from '@codemirror/legacy-modes/mode/yaml'
import type { Extension } from '@codemirror/state'
import { markdownListTyping } from './markdown-lists.js'
import { lineWrapping } from './line-wrapping.js'

/** The languages the editor highlights. */
export type LanguageId = 'python' | 'markdown' | 'latex' | 'javascript' | 'typescript' | 'json' | 'shell' | 'r' | 'julia' | 'toml' | 'yaml' | 'plain'

const BY_EXTENSION: Readonly<Record<string, LanguageId>> = {
  py: 'python',
  pyw: 'python',
  sage: 'python',
  md: 'markdown',
  markdown: 'markdown',
  tex: 'latex',
  latex: 'latex',
  sty: 'latex',
  cls: 'latex',
  bib: 'latex',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'typescript',
  json: 'json',
  ipynb: 'json',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  r: 'r',
  jl: 'julia',
  toml: 'toml',
  yml: 'yaml',
  yaml: 'yaml',
}

/** The language of a file, from its name (`Makefile`-like names without an extension are plain text). */
export function languageOf(fileName: string): LanguageId {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1)
  const dot = base.lastIndexOf('.')
  if (dot <= 0) return base === '.bashrc' || base === '.profile' ? 'shell' : 'plain'
  return BY_EXTENSION[base.slice(dot + 1).toLowerCase()] ?? 'plain'
}

function legacy(parser: StreamParser<unknown>): Extension {
  return StreamLanguage.define(parser)
}

/**
 * One indentation level in `language`, by its community's convention: four spaces for Python (PEP 8) and
 * Julia, two elsewhere (CodeMirror's default).
 */
export function indentOf(language: LanguageId): string {
  return language === 'python' || language === 'julia' ? '    ' : '  '
}

/**
 * The CodeMirror extension that highlights `language` (nothing for plain text), indents by its convention and
 * wraps prose lines (Alt-Z switches wrapping).
 */
export function languageExtension(language: LanguageId): Extension {
  return [highlighting(language), indentUnit.of(indentOf(language)), lineWrapping(language)]
}

function highlighting(language: LanguageId): Extension {
  switch (language) {
    case 'python':
      return python()
    case 'markdown':
      return [markdown(), markdownListTyping()]
    case 'latex':
      return legacy(stex)
    case 'javascript':
      return javascript({ jsx: true })
    case 'typescript':
      return javascript({ typescript: true, jsx: true })
    case 'json':
      return json()
    case 'shell':
      return legacy(shell)
    case 'r':
      return legacy(r)
    case 'julia':
      return legacy(julia)
    case 'toml':
      return legacy(toml)
    case 'yaml':
      return legacy(yaml)
    case 'plain':
      return []
  }
}
