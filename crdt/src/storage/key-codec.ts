/**
 * Storage keys are arrays of arbitrary strings; LevelDB keys are flat, byte-ordered strings. Each part is
 * escaped so that it never contains U+0000, then terminated by U+0000. Because the terminator cannot occur
 * inside an encoded part, "the encoded key starts with the encoded prefix" holds exactly when the key's first
 * parts equal the prefix's parts: `['a']` never matches `['ab']` nor `['a\u0000b']`.
 */

const TERMINATOR = '\u0000'
const ESCAPE = '\u0001'

// A lone surrogate cannot survive UTF-8 encoding (it becomes U+FFFD), so it is written out as hex instead.
const NEEDS_ESCAPE = /[\u0000\u0001]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

function escapePart(part: string): string {
  return part.replace(NEEDS_ESCAPE, (ch) => {
    if (ch === TERMINATOR) return ESCAPE + '0'
    if (ch === ESCAPE) return ESCAPE + '1'
    return ESCAPE + 'u' + ch.charCodeAt(0).toString(16).padStart(4, '0')
  })
}

function unescapePart(encoded: string): string {
  let out = ''
  for (let i = 0; i < encoded.length; i++) {
    const ch = encoded[i]!
    if (ch !== ESCAPE) {
      out += ch
      continue
    }
    const kind = encoded[i + 1]
    if (kind === '0') out += TERMINATOR
    else if (kind === '1') out += ESCAPE
    else if (kind === 'u') {
      out += String.fromCharCode(parseInt(encoded.slice(i + 2, i + 6), 16))
      i += 4
    } else throw new Error(`malformed escape in stored key part ${JSON.stringify(encoded)}`)
    i += 1
  }
  return out
}

/** Encodes a key (or a key prefix) as a flat string: every part escaped and terminated. */
export function encodeKey(parts: readonly string[]): string {
  let out = ''
  for (const part of parts) out += escapePart(part) + TERMINATOR
  return out
}

/** Inverse of {@link encodeKey}; throws on a string that {@link encodeKey} cannot have produced. */
export function decodeKey(encoded: string): string[] {
  if (encoded.length > 0 && !encoded.endsWith(TERMINATOR)) {
    throw new Error(`stored key ${JSON.stringify(encoded)} is not terminated`)
  }
  const parts = encoded.split(TERMINATOR)
  parts.pop()
  return parts.map(unescapePart)
}

/** Iterator bounds that select exactly the keys starting with `prefix` (everything for an empty prefix). */
export function prefixBounds(prefix: readonly string[]): { gte?: string; lt?: string } {
  if (prefix.length === 0) return {}
  const lower = encodeKey(prefix)
  // The lower bound ends with U+0000; replacing it by U+0001 gives the first string past every extension.
  return { gte: lower, lt: lower.slice(0, -1) + ESCAPE }
}
