/**
 * Metadata on its way into a file. nbformat's schema constrains a few well-known fields (a cell's `name`,
 * `tags`, `jupyter`, `execution`, `collapsed`, `scrolled`, `format`; the notebook's `kernelspec`,
 * `language_info`, `title`, `orig_nbformat`). A peer may have written anything there, so a field that
 * breaks the schema is dropped (tags are filtered instead) and every other field is kept as is (I6).
 */
import { isRecord } from '../read/guards.js'
import type { JsonObject, JsonValue } from './types.js'

const isString = (value: JsonValue | undefined): boolean => typeof value === 'string'

/** A copy of `metadata` without the values that would make the file invalid. */
export function sanitizeNotebookMetadata(metadata: JsonObject): JsonObject {
  const out: JsonObject = { ...metadata }
  const kernelspec = out['kernelspec']
  if (kernelspec !== undefined && !(isRecord(kernelspec) && isString(kernelspec['name']) && isString(kernelspec['display_name']))) {
    delete out['kernelspec']
  }
  const info = out['language_info']
  if (info !== undefined) {
    if (!isRecord(info) || !isString(info['name'])) {
      delete out['language_info']
    } else {
      const clean: JsonObject = { ...info }
      for (const key of ['file_extension', 'mimetype', 'pygments_lexer']) if (key in clean && !isString(clean[key])) delete clean[key]
      const mode = clean['codemirror_mode']
      if (mode !== undefined && !isString(mode) && !isRecord(mode)) delete clean['codemirror_mode']
      out['language_info'] = clean
    }
  }
  const orig = out['orig_nbformat']
  if (orig !== undefined && !(typeof orig === 'number' && Number.isSafeInteger(orig) && orig >= 1)) delete out['orig_nbformat']
  if (out['title'] !== undefined && !isString(out['title'])) delete out['title']
  if (out['authors'] !== undefined && !Array.isArray(out['authors'])) delete out['authors']
  return out
}

/** A copy of a cell's metadata that satisfies the schema for a cell of `cellType`. */
export function sanitizeCellMetadata(metadata: JsonObject, cellType: 'code' | 'markdown' | 'raw'): JsonObject {
  const out: JsonObject = { ...metadata }
  const name = out['name']
  // The schema's pattern is "^.+$": at least one character and no line break.
  if (name !== undefined && !(typeof name === 'string' && /^.+$/u.test(name))) delete out['name']
  const tags = out['tags']
  if (tags !== undefined) {
    if (Array.isArray(tags)) out['tags'] = [...new Set(tags.filter((t): t is string => typeof t === 'string' && /^[^,]+$/u.test(t)))]
    else delete out['tags']
  }
  if (out['jupyter'] !== undefined && !isRecord(out['jupyter'])) delete out['jupyter']
  if (cellType === 'code') {
    const execution = out['execution']
    if (execution !== undefined && !(isRecord(execution) && Object.values(execution).every(isString))) delete out['execution']
    if (out['collapsed'] !== undefined && typeof out['collapsed'] !== 'boolean') delete out['collapsed']
    const scrolled = out['scrolled']
    if (scrolled !== undefined && scrolled !== true && scrolled !== false && scrolled !== 'auto') delete out['scrolled']
  }
  if (cellType === 'raw' && out['format'] !== undefined && !isString(out['format'])) delete out['format']
  return out
}
