/**
 * JSON in and out of the document. Metadata, attachments and output data are stored with every string as an
 * Automerge `ImmutableString`: nobody edits them character by character, and a 100 KB base64 image as
 * collaborative text would cost one operation per character. Reading accepts text as well (a peer may have
 * written it so) and tolerates anything else by reporting a problem instead of throwing.
 */
import { Counter, isCounter } from '@automerge/automerge'
import { asString, isRecord, type Problem } from '../read/guards.js'
import { atom } from '../documents/atoms.js'
import type { OutputBlobRef, JsonObject, JsonValue, MimeBundle, StoredJson } from './types.js'

/** Deeper values are cut off when reading: JSON from a peer could nest without end. */
const MAX_DEPTH = 64

// One atom() for every document; re-exported for the notebook modules that take it from here.
export { atom }

/**
 * The keys of an object that can be stored. Automerge refuses the key "__proto__" (and assigning it to a
 * plain object would set its prototype instead), so it is dropped everywhere (N21).
 */
export function storableKeys(value: object): string[] {
  return Object.keys(value).filter((key) => key !== '__proto__')
}

/** A JSON value with every string made atomic, ready to be assigned into the document. */
export function toStored(value: JsonValue): StoredJson {
  if (typeof value === 'string') return atom(value)
  if (Array.isArray(value)) return value.map(toStored)
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: StoredJson } = {}
    for (const key of storableKeys(value)) out[key] = toStored(value[key]!)
    return out
  }
  return value
}

export function toStoredObject(value: JsonObject): { [key: string]: StoredJson } {
  return toStored(value) as { [key: string]: StoredJson }
}

/**
 * A stored value back as plain JSON. Values JSON cannot hold (bytes, `undefined`, functions) are dropped
 * with a problem; counters read as numbers and dates as ISO strings.
 */
export function fromStored(value: unknown, path: string, problems: Problem[], depth = 0): JsonValue | undefined {
  if (value === null || typeof value === 'boolean') return value
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value
    problems.push({ path, message: 'number is not finite; dropped' })
    return undefined
  }
  const str = asString(value)
  if (str !== undefined) return str
  if (isCounter(value)) return (value as Counter).value
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString()
  if (depth >= MAX_DEPTH) {
    problems.push({ path, message: `nested deeper than ${MAX_DEPTH} levels; dropped` })
    return undefined
  }
  if (Array.isArray(value)) {
    const out: JsonValue[] = []
    value.forEach((item: unknown, i) => {
      const read = fromStored(item, `${path}/${i}`, problems, depth + 1)
      if (read !== undefined) out.push(read)
    })
    return out
  }
  if (isRecord(value)) return fromStoredObject(value, path, problems, depth)
  problems.push({ path, message: `${describe(value)} is not JSON; dropped` })
  return undefined
}

/** A stored object as a JSON object; a non-object reads as `{}` with a problem. */
export function fromStoredObject(value: unknown, path: string, problems: Problem[], depth = 0): JsonObject {
  if (!isRecord(value)) {
    if (value !== undefined) problems.push({ path, message: `expected an object, found ${describe(value)}; read as {}` })
    return {}
  }
  const out: JsonObject = {}
  for (const key of storableKeys(value)) {
    const read = fromStored(value[key], `${path}/${escapeKey(key)}`, problems, depth + 1)
    if (read !== undefined) out[key] = read
  }
  return out
}

/** nbformat's rule: these media types hold JSON of any shape; every other type holds a string. */
export function isJsonMime(mime: string): boolean {
  return /^application\/(.*\+)?json$/.test(mime)
}

const SHA256_HEX = /^[0-9a-f]{64}$/

/** A blob reference if `value` has exactly its shape (blob, size, mime), else `undefined`. */
export function readBlobRef(value: unknown): OutputBlobRef | undefined {
  if (!isRecord(value)) return undefined
  const keys = Object.keys(value)
  if (keys.length !== 3) return undefined
  const blob = asString(value['blob'])
  const size = value['size']
  const mime = asString(value['mime'])
  if (blob === undefined || !SHA256_HEX.test(blob)) return undefined
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined
  if (mime === undefined || mime.length === 0) return undefined
  return { blob, size, mime }
}

export function toStoredBundle(bundle: MimeBundle): { [mime: string]: StoredJson } {
  const out: { [mime: string]: StoredJson } = {}
  for (const mime of storableKeys(bundle)) {
    const value = bundle[mime]
    const ref = readBlobRef(value)
    out[mime] = ref ? { blob: atom(ref.blob), size: ref.size, mime: atom(ref.mime) } : toStored(value as JsonValue)
  }
  return out
}

/** A stored mime bundle; values of the wrong kind for their media type are dropped with a problem. */
export function readBundle(value: unknown, path: string, problems: Problem[]): MimeBundle {
  if (!isRecord(value)) {
    problems.push({ path, message: `expected a mime bundle object, found ${describe(value)}; read as {}` })
    return {}
  }
  const out: MimeBundle = {}
  for (const mime of storableKeys(value)) {
    const item = value[mime]
    const itemPath = `${path}/${escapeKey(mime)}`
    const ref = readBlobRef(item)
    if (ref) {
      out[mime] = ref
    } else if (isJsonMime(mime)) {
      const json = fromStored(item, itemPath, problems)
      if (json !== undefined) out[mime] = json
    } else {
      const text = readMultiline(item)
      if (text === undefined) problems.push({ path: itemPath, message: `a ${mime} value must be a string; dropped` })
      else out[mime] = text
    }
  }
  return out
}

/** A string, or a list of strings joined (nbformat's multi-line form). */
export function readMultiline(value: unknown): string | undefined {
  const str = asString(value)
  if (str !== undefined) return str
  if (!Array.isArray(value)) return undefined
  let out = ''
  for (const line of value as unknown[]) {
    const part = asString(line)
    if (part === undefined) return undefined
    out += part
  }
  return out
}

/** JSON-pointer escaping, so problem paths stay unambiguous. */
export function escapeKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1')
}

/** What a value is, with its article, for messages ("a number", "an object", "null"). */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (value instanceof Uint8Array) return 'a byte array'
  const type = typeof value
  return type === 'object' ? 'an object' : `a ${type}`
}
