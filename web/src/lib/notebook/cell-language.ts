/** Which highlighting a cell's editor gets: code cells follow the notebook's kernel language. */
import type { CellType, NotebookRead } from '@quire/crdt'
import type { LanguageId } from '../editor/languages.js'

const KERNEL_LANGUAGES: Readonly<Record<string, LanguageId>> = {
  python: 'python',
  sage: 'python',
  sagemath: 'python',
  r: 'r',
  julia: 'julia',
  javascript: 'javascript',
  typescript: 'typescript',
  bash: 'shell',
  sh: 'shell',
}

/** The language of the notebook's code cells; Python when the notebook does not say. */
export function codeLanguage(notebook: Pick<NotebookRead, 'kernelspec' | 'metadata'>): LanguageId {
  const info = notebook.metadata['language_info']
  const infoName = info !== null && typeof info === 'object' && !Array.isArray(info) && typeof info['name'] === 'string' ? info['name'] : undefined
  const name = (notebook.kernelspec?.language ?? infoName ?? 'python').toLowerCase()
  return KERNEL_LANGUAGES[name] ?? 'plain'
}

export function cellLanguage(cellType: CellType, code: LanguageId): LanguageId {
  return cellType === 'code' ? code : cellType === 'markdown' ? 'markdown' : 'plain'
}

/**
 * The presence "file" id for one cell's editor: presence tracks one text per file, and a notebook holds a
 * text per cell. Both parts are [A-Za-z0-9_-], so the result passes presence's id check when short enough.
 */
export function cellPresenceId(fileId: string, cellId: string): string {
  return `${fileId}_cell_${cellId}`
}
