/**
 * The canonical payload of a signed grants entry: a flat JSON object whose values are strings or safe
 * integers, keys sorted by UTF-16 code units, no whitespace, UTF-8 encoded. For this subset of JSON that is
 * exactly RFC 8785 (JSON Canonicalization Scheme): ECMAScript's `JSON.stringify` gives RFC 8785's string and
 * integer forms. One set of fields has one byte form, and bytes that are not in that form do not decode,
 * so a signature covers exactly one meaning. The form lives here (not next to the signing code in
 * @quire/node) because the grants reader decodes it too; it has nothing to do with crypto.
 */
import { bytesEqual, decodeUtf8, encodeUtf8 } from './encoding.js'

/** A decoded payload: field name to string or safe integer. */
export type PayloadFields = Readonly<Record<string, string | number>>

/** Payloads larger than this are refused: a grant is a few hundred bytes, and junk must stay cheap. */
export const MAX_PAYLOAD_BYTES = 8192
export const MAX_PAYLOAD_FIELDS = 32
const FIELD_NAME = /^[a-z][A-Za-z0-9]{0,31}$/

/** The decoded fields of canonical payload bytes, or why the bytes are not a canonical payload. */
export type PayloadResult = { readonly ok: true; readonly fields: PayloadFields } | { readonly ok: false; readonly reason: string }

/** The canonical bytes of `fields`; throws a plain `TypeError` naming the bad field (callers wrap it). */
export function encodePayload(fields: Readonly<Record<string, string | number | undefined>>): Uint8Array {
  const names = Object.keys(fields).filter((name) => fields[name] !== undefined).sort(compareCodeUnits)
  if (names.length > MAX_PAYLOAD_FIELDS) throw new TypeError(`a payload has at most ${MAX_PAYLOAD_FIELDS} fields`)
  const parts: string[] = []
  for (const name of names) {
    if (!FIELD_NAME.test(name)) throw new TypeError(`field name "${name.slice(0, 40)}" is not a lowerCamel name of at most 32 characters`)
    const value = fields[name]
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new TypeError(`field "${name}" is not a safe integer`)
    if (typeof value !== 'number' && typeof value !== 'string') throw new TypeError(`field "${name}" is not a string or an integer`)
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(value)}`)
  }
  const bytes = encodeUtf8(`{${parts.join(',')}}`)
  if (bytes.length > MAX_PAYLOAD_BYTES) throw new TypeError(`the payload is larger than ${MAX_PAYLOAD_BYTES} bytes`)
  return bytes
}

/** Decodes canonical payload bytes; anything else (other JSON spellings included) is refused with a reason. */
export function decodePayload(bytes: unknown): PayloadResult {
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: 'the payload is not bytes' }
  if (bytes.length > MAX_PAYLOAD_BYTES) return { ok: false, reason: `the payload is larger than ${MAX_PAYLOAD_BYTES} bytes` }
  const text = decodeUtf8(bytes)
  if (text === undefined) return { ok: false, reason: 'the payload is not UTF-8' }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { ok: false, reason: 'the payload is not JSON' }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, reason: 'the payload is not a JSON object' }
  const fields: Record<string, string | number> = {}
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value !== 'string' && typeof value !== 'number') return { ok: false, reason: `payload field "${name.slice(0, 40)}" is not a string or an integer` }
    fields[name] = value
  }
  let again: Uint8Array
  try {
    again = encodePayload(fields)
  } catch (err) {
    return { ok: false, reason: `the payload is not canonical: ${(err as Error).message}` }
  }
  if (!bytesEqual(again, bytes)) return { ok: false, reason: 'the payload is not in canonical form (sorted keys, no spaces, RFC 8785 escapes)' }
  return { ok: true, fields: Object.freeze(fields) }
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
