import { BlobError } from './errors.js'

const HEX = /^[0-9a-f]{64}$/

/** Whether `value` is a blob hash: a sha-256 as 64 lowercase hex characters. */
export function isBlobHash(value: unknown): value is string {
  return typeof value === 'string' && HEX.test(value)
}

export function assertBlobHash(value: unknown): asserts value is string {
  if (!isBlobHash(value)) throw new BlobError('INVALID_HASH', `'${String(value).slice(0, 80)}' is not a blob hash`)
}

/** The sha-256 of `bytes` in lowercase hex (Web Crypto: the same in browsers and Node). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
  let out = ''
  for (const b of digest) out += b.toString(16).padStart(2, '0')
  return out
}
