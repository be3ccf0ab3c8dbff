/** Cell ids: nbformat's pattern, generated from a secure random source so that peers never collide. */
import { CrdtError } from '../errors.js'

const CELL_ID = /^[a-zA-Z0-9-_]{1,64}$/
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** 16 characters of a 64-letter alphabet: 96 random bits, so collisions across peers are not a concern. */
const GENERATED_LENGTH = 16

/** nbformat's id pattern, minus "__proto__", a key Automerge cannot store. */
export function isCellId(value: unknown): value is string {
  return typeof value === 'string' && CELL_ID.test(value) && value !== '__proto__'
}

export function requireCellId(value: unknown, what: string): string {
  if (!isCellId(value)) {
    throw new CrdtError(
      'INVALID_ARGUMENT',
      `${what} must be 1 to 64 letters, digits, "-" or "_" (nbformat's cell id), got ${JSON.stringify(String(value).slice(0, 80))}.`,
    )
  }
  return value
}

/** A fresh random cell id that is not in `taken`. */
export function newCellId(taken: (id: string) => boolean = () => false): string {
  const cryptoApi = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto
  if (!cryptoApi?.getRandomValues) {
    throw new CrdtError('INVALID_ARGUMENT', 'No secure random source (crypto.getRandomValues) here: pass an explicit cell id.')
  }
  for (;;) {
    const bytes = cryptoApi.getRandomValues(new Uint8Array(GENERATED_LENGTH))
    let id = ''
    for (const byte of bytes) id += ALPHABET[byte & 63]
    if (!taken(id)) return id
  }
}
