/**
 * Reads the leading fields of an encoded Automerge sync message without decoding it in WebAssembly: the
 * hot path of a relay looks at every message, and `decodeSyncMessage` copies every change out of it.
 *
 * Layout (automerge's sync message, types 0x42 and 0x43): type byte; heads (ULEB128 count, then 32-byte
 * hashes); need (the same); have (count, then per entry a hash list and a length-prefixed bloom filter);
 * changes (count, then length-prefixed changes); then, in type 0x43, capabilities we do not read.
 */
export interface SyncMessageSummary {
  /** The sender's heads, as lowercase hex (the form automerge's API uses). */
  heads: string[]
  /** How many changes the message carries. */
  changes: number
}

/** Where the parts of a message are, for {@link rewriteSyncMessage}. */
interface Layout extends SyncMessageSummary {
  /** Offset just past the heads. */
  headsEnd: number
  /** Offset of the change count. */
  changesAt: number
  /** Offset just past the last change (the capabilities of type 0x43 follow). */
  changesEnd: number
}

const HASH_BYTES = 32

/** Summarises an encoded sync message; `undefined` if it is not one this reader understands. */
export function readSyncMessage(bytes: Uint8Array): SyncMessageSummary | undefined {
  const layout = readLayout(bytes, false)
  return layout === undefined ? undefined : { heads: layout.heads, changes: layout.changes }
}

/**
 * The same message with other heads and, with `dropChanges`, without its changes; need, have and
 * capabilities stay as they were. `undefined` if the message is not one this reader understands.
 * A relay uses it to announce only heads it has on disk (RL23).
 */
export function rewriteSyncMessage(bytes: Uint8Array, heads: readonly string[], options: { dropChanges?: boolean } = {}): Uint8Array | undefined {
  const layout = readLayout(bytes, options.dropChanges === true)
  if (layout === undefined || heads.some((h) => !/^[0-9a-f]{64}$/.test(h))) return undefined
  const middle = options.dropChanges === true
    ? [bytes.subarray(layout.headsEnd, layout.changesAt), ulebBytes(0), bytes.subarray(layout.changesEnd)]
    : [bytes.subarray(layout.headsEnd)]
  const head = ulebBytes(heads.length)
  const size = 1 + head.length + heads.length * HASH_BYTES + middle.reduce((n, part) => n + part.length, 0)
  const out = new Uint8Array(size)
  out[0] = bytes[0]!
  out.set(head, 1)
  let at = 1 + head.length
  for (const h of heads) {
    for (let i = 0; i < HASH_BYTES; i++) out[at + i] = parseInt(h.slice(2 * i, 2 * i + 2), 16)
    at += HASH_BYTES
  }
  for (const part of middle) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** Parses up to the change count, and past the changes with `walkChanges`. */
function readLayout(bytes: Uint8Array, walkChanges: boolean): Layout | undefined {
  if (bytes.length === 0 || (bytes[0] !== 0x42 && bytes[0] !== 0x43)) return undefined
  const reader = { bytes, at: 1 }
  const headCount = uleb(reader)
  if (headCount === undefined || reader.at + headCount * HASH_BYTES > bytes.length) return undefined
  const heads: string[] = []
  for (let i = 0; i < headCount; i++) heads.push(hex(bytes, reader.at + i * HASH_BYTES))
  reader.at += headCount * HASH_BYTES
  const headsEnd = reader.at
  if (!skipHashes(reader)) return undefined // need
  const haveCount = uleb(reader)
  if (haveCount === undefined) return undefined
  for (let i = 0; i < haveCount; i++) {
    if (!skipHashes(reader)) return undefined // lastSync
    const bloomBytes = uleb(reader)
    if (bloomBytes === undefined || reader.at + bloomBytes > bytes.length) return undefined
    reader.at += bloomBytes
  }
  const changesAt = reader.at
  const changes = uleb(reader)
  if (changes === undefined) return undefined
  if (walkChanges) {
    for (let i = 0; i < changes; i++) {
      const length = uleb(reader)
      if (length === undefined || reader.at + length > bytes.length) return undefined
      reader.at += length
    }
  }
  return { heads, changes, headsEnd, changesAt, changesEnd: reader.at }
}

function ulebBytes(value: number): Uint8Array {
  const out: number[] = []
  do {
    let byte = value % 128
    value = Math.floor(value / 128)
    if (value > 0) byte |= 0x80
    out.push(byte)
  } while (value > 0)
  return Uint8Array.from(out)
}

interface Reader { bytes: Uint8Array; at: number }

function uleb(r: Reader): number | undefined {
  let value = 0
  let factor = 1
  for (let i = 0; i < 8 && r.at < r.bytes.length; i++) {
    const byte = r.bytes[r.at++]!
    value += (byte & 0x7f) * factor
    if ((byte & 0x80) === 0) return value
    factor *= 128
  }
  return undefined
}

function skipHashes(r: Reader): boolean {
  const count = uleb(r)
  if (count === undefined || r.at + count * HASH_BYTES > r.bytes.length) return false
  r.at += count * HASH_BYTES
  return true
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

function hex(bytes: Uint8Array, from: number): string {
  let out = ''
  for (let i = from; i < from + HASH_BYTES; i++) out += HEX[bytes[i]!]
  return out
}
