/**
 * `readNotebook`: the only way the rest of Quire should look at a notebook document. It accepts any value,
 * never throws, and returns cells in display order (N5 to N7) with every tolerated fault listed.
 */
import { isRecord, type Problem, asString } from '../read/guards.js'
import { resolveOrder } from './cell-order.js'
import { NOTEBOOK_SCHEMA_VERSION, NOTEBOOK_TYPE } from './create-notebook.js'
import { readCell } from './read-cell.js'
import { describe, fromStoredObject } from './stored-json.js'
import type { JsonObject, Kernelspec, NotebookRead } from './types.js'

/** Reads any value as a notebook (N16): junk gives an empty or partial notebook plus problems, never a throw. */
export function readNotebook(doc: unknown): NotebookRead {
  try {
    return readUnchecked(doc)
  } catch (cause) {
    // A hostile getter or proxy: keep the promise not to throw.
    return {
      schemaVersion: NOTEBOOK_SCHEMA_VERSION,
      metadata: {},
      kernelspec: undefined,
      cells: [],
      problems: [{ path: '', message: `the notebook could not be read: ${String(cause).slice(0, 200)}` }],
    }
  }
}

function readUnchecked(doc: unknown): NotebookRead {
  const problems: Problem[] = []
  if (!isRecord(doc)) {
    problems.push({ path: '', message: `the document is ${describe(doc)}, not an object` })
    return { schemaVersion: NOTEBOOK_SCHEMA_VERSION, metadata: {}, kernelspec: undefined, cells: [], problems }
  }
  const type = asString(doc['type'])
  if (type !== NOTEBOOK_TYPE) problems.push({ path: '/type', message: `expected "${NOTEBOOK_TYPE}", found ${JSON.stringify(type ?? null)}` })
  const schemaVersion = readSchemaVersion(doc['schemaVersion'], problems)
  const metadata = fromStoredObject(doc['metadata'], '/metadata', problems)
  const kernelspec = readKernelspec(metadata, problems)
  const languageInfo = metadata['language_info']
  if (languageInfo !== undefined && !(isRecord(languageInfo) && typeof languageInfo['name'] === 'string')) {
    problems.push({ path: '/metadata/language_info', message: 'needs a string name; left out' })
    delete metadata['language_info']
  }
  const cellsValue = doc['cells']
  const cells = isRecord(cellsValue) ? cellsValue : {}
  if (!isRecord(cellsValue)) problems.push({ path: '/cells', message: `cells is ${describe(cellsValue)}, not a map; no cells shown` })
  if (!Array.isArray(doc['cellOrder'])) problems.push({ path: '/cellOrder', message: 'not a list; cells shown in id order' })
  const order = resolveOrder(doc['cellOrder'], Object.keys(cells))
  return { schemaVersion, metadata, kernelspec, cells: order.map((id) => readCell(id, cells[id], problems)), problems }
}

function readSchemaVersion(value: unknown, problems: Problem[]): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    problems.push({ path: '/schemaVersion', message: 'missing or not a positive whole number; read as version 1' })
    return 1
  }
  if (value > NOTEBOOK_SCHEMA_VERSION) {
    problems.push({ path: '/schemaVersion', message: `written by a newer Quire (schema ${value}); update to see everything` })
  }
  return value
}

/** The kernelspec when well formed; a malformed one is removed from `metadata` and reported. */
function readKernelspec(metadata: JsonObject, problems: Problem[]): Kernelspec | undefined {
  const value = metadata['kernelspec']
  if (value === undefined) return undefined
  if (isRecord(value) && typeof value['name'] === 'string' && typeof value['display_name'] === 'string') {
    const language = value['language']
    return { name: value['name'], display_name: value['display_name'], ...(typeof language === 'string' ? { language } : {}) }
  }
  problems.push({ path: '/metadata/kernelspec', message: 'needs string name and display_name; left out' })
  delete metadata['kernelspec']
  return undefined
}
