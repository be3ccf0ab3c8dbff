/**
 * Every entry a grants document has ever held, read from its Automerge history. Changes are not signed, so
 * anyone who can write the document could delete a revocation (reinstating the revoked) or overwrite a
 * grant with junk. Entries are facts that never legitimately go away, so membership is computed over every
 * well-formed entry that appears anywhere in the history, not only in the current state: a deletion or an
 * overwrite changes nothing.
 */
import * as A from '@automerge/automerge'
import { readEntry, type SignedEntry } from './grants-read.js'
import { MAX_PAYLOAD_BYTES } from './payload.js'

interface DecodedOp {
  readonly action: string
  readonly obj: string
  readonly key?: string
  readonly value?: unknown
}

/**
 * Every well-formed entry (G5) ever stored in the document's `entries` map, deduplicated by id and payload,
 * sorted by id. Never throws: a value that is not an Automerge document has no history and gives `[]`.
 */
export function readGrantsHistory(doc: unknown): SignedEntry[] {
  let changes: Uint8Array[]
  try {
    changes = A.getAllChanges(doc as A.Doc<unknown>)
  } catch {
    return []
  }
  const entriesMaps = new Set<string>()
  const entryKeys = new Map<string, string>() // object id of an entry map -> its key (the entry id)
  const values = new Map<string, { payloads: Uint8Array[]; signatures: Uint8Array[] }>()
  for (const bytes of changes) {
    let change: A.DecodedChange
    try {
      change = A.decodeChange(bytes)
    } catch {
      continue
    }
    const ops = change.ops as unknown as readonly DecodedOp[]
    ops.forEach((op, index) => {
      const opId = `${change.startOp + index}@${change.actor}`
      if (op.action === 'makeMap' && op.obj === '_root' && op.key === 'entries') entriesMaps.add(opId)
      else if (op.action === 'makeMap' && entriesMaps.has(op.obj) && typeof op.key === 'string') entryKeys.set(opId, op.key)
      else if (op.action === 'set' && entryKeys.has(op.obj) && (op.key === 'payload' || op.key === 'signature')) {
        const value = asBytes(op.value)
        if (value === undefined) return
        const slot = values.get(op.obj) ?? { payloads: [], signatures: [] }
        ;(op.key === 'payload' ? slot.payloads : slot.signatures).push(value)
        values.set(op.obj, slot)
      }
    })
  }
  const found = new Map<string, SignedEntry>()
  for (const [obj, { payloads, signatures }] of values) {
    const id = entryKeys.get(obj)!
    // Normally one of each; if a value was overwritten, every pairing is tried and only well-formed ones kept.
    for (const payload of payloads) {
      for (const signature of signatures) {
        const read = readEntry(id, { payload, signature })
        if ('reason' in read) continue
        found.set(`${id}/${payload.join(',')}`, read)
      }
    }
  }
  return [...found.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** Bytes as `decodeChange` gives them (a plain array of numbers), or a `Uint8Array`; anything else is skipped. */
function asBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value
  if (!Array.isArray(value) || value.length > MAX_PAYLOAD_BYTES) return undefined
  for (const b of value) if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) return undefined
  return Uint8Array.from(value as number[])
}
