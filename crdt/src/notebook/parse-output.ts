/**
 * Strict parsing of outputs, mime bundles and JSON that come from outside the document: a caller of
 * `appendOutput`, or a .ipynb file. Failures go through `fail`, so the same rules give `INVALID_ARGUMENT`
 * to a caller and `INVALID_NOTEBOOK` to an import, each with the path of what is wrong.
 */
import { isRecord } from '../read/guards.js'
import { describe, escapeKey, isJsonMime, readBlobRef, storableKeys } from './stored-json.js'
import type { JsonObject, JsonValue, MimeBundle, Output } from './types.js'

/** Reports what is wrong at `path` and never returns (it throws). */
export type Fail = (path: string, message: string) => never

const MAX_DEPTH = 64

/** Plain JSON, checked all the way down (finite numbers, no `undefined`, no class instances). */
export function parseJson(value: unknown, path: string, fail: Fail, depth = 0): JsonValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : fail(path, 'must be a finite number')
  if (depth >= MAX_DEPTH) return fail(path, `is nested deeper than ${MAX_DEPTH} levels`)
  if (Array.isArray(value)) return value.map((item: unknown, i) => parseJson(item, `${path}/${i}`, fail, depth + 1))
  if (isRecord(value) && isPlain(value)) {
    const out: JsonObject = {}
    for (const key of storableKeys(value)) out[key] = parseJson(value[key], `${path}/${escapeKey(key)}`, fail, depth + 1)
    return out
  }
  return fail(path, `must be JSON, found ${describe(value)}`)
}

export function parseJsonObject(value: unknown, path: string, fail: Fail): JsonObject {
  if (!isRecord(value)) return fail(path, `must be an object, found ${describe(value)}`)
  return parseJson(value, path, fail) as JsonObject
}

/** nbformat's multi-line string: a string, or a list of strings that are joined. */
export function parseMultiline(value: unknown, path: string, fail: Fail): string {
  if (typeof value === 'string') return value
  if (Array.isArray(value)) {
    let out = ''
    value.forEach((line: unknown, i) => {
      if (typeof line !== 'string') fail(`${path}/${i}`, `must be a string, found ${describe(line)}`)
      out += line
    })
    return out
  }
  return fail(path, `must be a string or a list of strings, found ${describe(value)}`)
}

export function parseString(value: unknown, path: string, fail: Fail): string {
  return typeof value === 'string' ? value : fail(path, `must be a string, found ${describe(value)}`)
}

export function parseCount(value: unknown, path: string, fail: Fail): number | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value
  return fail(path, 'must be a whole number >= 0 or null')
}

/** A mime bundle: JSON types take any JSON, other types a multi-line string; any type a blob reference. */
export function parseBundle(value: unknown, path: string, fail: Fail): MimeBundle {
  if (!isRecord(value)) return fail(path, `must be a mime bundle (an object keyed by media type), found ${describe(value)}`)
  const out: MimeBundle = {}
  for (const mime of storableKeys(value)) {
    const item = value[mime]
    const itemPath = `${path}/${escapeKey(mime)}`
    const ref = readBlobRef(item)
    if (ref) out[mime] = ref
    else if (isJsonMime(mime)) out[mime] = parseJson(item, itemPath, fail)
    else out[mime] = parseMultiline(item, itemPath, fail)
  }
  return out
}

/**
 * One output. `lenient` (for .ipynb import) fills in what older writers left out (`metadata`, an
 * `execution_count`); fields nbformat does not define are dropped.
 */
export function parseOutput(value: unknown, path: string, fail: Fail, lenient = false): Output {
  if (!isRecord(value)) return fail(path, `an output must be an object, found ${describe(value)}`)
  const type = value['output_type']
  const metadata = (): JsonObject =>
    lenient && value['metadata'] === undefined ? {} : parseJsonObject(value['metadata'], `${path}/metadata`, fail)
  switch (type) {
    case 'stream':
      return {
        output_type: 'stream',
        name: parseString(value['name'], `${path}/name`, fail),
        text: parseMultiline(value['text'], `${path}/text`, fail),
      }
    case 'display_data':
      return { output_type: 'display_data', data: parseBundle(value['data'], `${path}/data`, fail), metadata: metadata() }
    case 'execute_result':
      if (!lenient && !('execution_count' in value)) fail(`${path}/execution_count`, 'is missing (use null if unknown)')
      return {
        output_type: 'execute_result',
        data: parseBundle(value['data'], `${path}/data`, fail),
        metadata: metadata(),
        execution_count: parseCount(value['execution_count'], `${path}/execution_count`, fail),
      }
    case 'error': {
      const traceback = value['traceback']
      if (!Array.isArray(traceback)) return fail(`${path}/traceback`, 'must be a list of strings')
      return {
        output_type: 'error',
        ename: parseString(value['ename'], `${path}/ename`, fail),
        evalue: parseString(value['evalue'], `${path}/evalue`, fail),
        traceback: traceback.map((line: unknown, i) => parseString(line, `${path}/traceback/${i}`, fail)),
      }
    }
    default:
      return fail(
        `${path}/output_type`,
        type === undefined
          ? 'is missing (expected stream, display_data, execute_result or error)'
          : `${JSON.stringify(String(type).slice(0, 40))} is not an output type (expected stream, display_data, execute_result or error)`,
      )
  }
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}
