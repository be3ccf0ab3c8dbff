/**
 * Byte helpers for signed grant entries, written for browsers and Node alike (no `Buffer`, no `node:`
 * imports): base64url without padding (RFC 4648 section 5) and strict UTF-8 decoding.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const LOOKUP = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]))

/** Bytes as base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i]!
    const b1 = bytes[i + 1]
    const b2 = bytes[i + 2]
    out += ALPHABET[b0 >> 2]
    out += ALPHABET[((b0 & 3) << 4) | ((b1 ?? 0) >> 4)]
    if (b1 !== undefined) out += ALPHABET[((b1 & 15) << 2) | ((b2 ?? 0) >> 6)]
    if (b2 !== undefined) out += ALPHABET[b2 & 63]
  }
  return out
}

/**
 * Base64url without padding back to bytes; `undefined` for anything else. Only the canonical encoding is
 * accepted (unused trailing bits must be zero), so one byte string has exactly one text form: entry ids
 * compare as strings.
 */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length % 4 === 1) return undefined
  const out = new Uint8Array(Math.floor((text.length * 3) / 4))
  let bits = 0
  let value = 0
  let o = 0
  for (const c of text) {
    const v = LOOKUP.get(c)
    if (v === undefined) return undefined
    value = (value << 6) | v
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (value >> bits) & 0xff
    }
  }
  if ((value & ((1 << bits) - 1)) !== 0) return undefined
  return out
}

interface TextDecoderLike {
  decode(bytes: Uint8Array): string
}
interface TextEncoderLike {
  encode(text: string): Uint8Array
}
type DecoderConstructor = new (label: string, options: { fatal: boolean }) => TextDecoderLike
type EncoderConstructor = new () => TextEncoderLike

const globals = globalThis as { TextDecoder?: DecoderConstructor; TextEncoder?: EncoderConstructor }
const decoder = globals.TextDecoder ? new globals.TextDecoder('utf-8', { fatal: true }) : undefined
const encoder = globals.TextEncoder ? new globals.TextEncoder() : undefined

/** UTF-8 bytes as text; `undefined` for invalid UTF-8 (never replacement characters). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  if (decoder === undefined) return undefined
  try {
    return decoder.decode(bytes)
  } catch {
    return undefined
  }
}

/** Text as UTF-8 bytes. */
export function encodeUtf8(text: string): Uint8Array {
  if (encoder === undefined) throw new Error('TextEncoder is missing: Quire needs a browser or Node 18+.')
  return encoder.encode(text)
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
