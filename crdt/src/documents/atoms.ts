/**
 * Atomic strings: identifiers, paths, URLs, hashes, peer ids and names are stored as Automerge
 * `ImmutableString`s, so that concurrent writes resolve last-writer-wins. Plain strings would be
 * collaborative text, and two concurrent renames would interleave their characters into a third name.
 */
import { ImmutableString } from '@automerge/automerge'
import { isValidAutomergeUrl } from '@automerge/automerge-repo'
import { CrdtError } from '../errors.js'

export function atom(value: string): ImmutableString {
  return new ImmutableString(value)
}

/** A random identifier for a file entry or a chat message (unique enough to key a map across peers). */
export function newId(): string {
  const cryptoApi = (globalThis as { crypto?: WebCryptoLike }).crypto
  if (cryptoApi?.randomUUID) return cryptoApi.randomUUID()
  // Browsers offer randomUUID only in secure contexts (https, localhost); getRandomValues works everywhere.
  if (cryptoApi?.getRandomValues) {
    const bytes = cryptoApi.getRandomValues(new Uint8Array(16))
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  }
  throw new CrdtError('INVALID_ARGUMENT', 'No secure random source (Web Crypto) here: pass an explicit id.')
}

interface WebCryptoLike {
  randomUUID?: () => string
  getRandomValues?: (array: Uint8Array) => Uint8Array
}

/** Keys of maps and ids: short, printable, no path separators. */
export function isValidId(value: string): boolean {
  return /^[A-Za-z0-9_-]{1,128}$/.test(value)
}

export function requireId(value: string, what: string): string {
  if (typeof value !== 'string' || !isValidId(value)) {
    throw new CrdtError('INVALID_ARGUMENT', `${what} must be 1 to 128 letters, digits, "-" or "_".`)
  }
  return value
}

export function isAutomergeUrl(value: unknown): value is string {
  return typeof value === 'string' && isValidAutomergeUrl(value)
}

export function requireUrl(value: string, what: string): string {
  if (!isAutomergeUrl(value)) {
    throw new CrdtError('INVALID_ARGUMENT', `${what} must be an Automerge URL ("automerge:..."), got "${String(value).slice(0, 80)}".`)
  }
  return value
}

/**
 * A peer id as text. Only a loose shape is checked (1 to 256 visible ASCII characters): the key behind it is
 * the network layer's business, and tests use short readable ids.
 */
export function isPeerIdString(value: unknown): value is string {
  return typeof value === 'string' && /^[\x21-\x7e]{1,256}$/.test(value)
}

export function requirePeerId(value: string, what: string): string {
  if (!isPeerIdString(value)) {
    throw new CrdtError('INVALID_ARGUMENT', `${what} must be a libp2p peer id string, got "${String(value).slice(0, 80)}".`)
  }
  return value
}

/** A time in milliseconds since the epoch: finite and not negative. */
export function requireTime(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new CrdtError('INVALID_ARGUMENT', `${what} must be a time in milliseconds since 1970 (a finite number >= 0).`)
  }
  return value
}
