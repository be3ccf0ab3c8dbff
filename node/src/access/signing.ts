/**
 * Signing and verifying records. The bytes signed are a context string, then the canonical payload:
 *
 *     "quire/access/v1/" + kind + "\n" || payload
 *
 * The context names the record kind and the format version, so a signature made for one kind (an invite)
 * can never verify as another (a grant), even if some payload parsed as both; and it starts with "quire/",
 * so no signature made by libp2p (peer records, noise handshakes) or any other Quire protocol can be
 * replayed as an access record. The payload also carries `kind` and `v`, and verification checks that they
 * agree with the context.
 */
import { decodePayload, encodePayload, grantEntryId, type PayloadFields } from '@quire/crdt'
import type { PrivateKey } from '@libp2p/interface'
import { AccessError } from './errors.js'
import { peerIdOfKey, publicKeyOfPeerId } from './keys.js'
import { isParseFailure, parseRecord, RECORD_VERSION, type AccessRecord, type RecordKind } from './records.js'

export const SIGNING_CONTEXT = 'quire/access/v1/'

/** A record signed and ready to store or send: the entry id, the canonical payload and the signature. */
export interface SignedRecord<R extends AccessRecord = AccessRecord> {
  readonly id: string
  readonly payload: Uint8Array
  readonly signature: Uint8Array
  readonly record: R
}

/** Why a signed record was not accepted. */
export interface RecordRejection {
  readonly reason: 'MALFORMED' | 'UNSUPPORTED' | 'BAD_SIGNATURE'
  readonly message: string
}

/** The exact bytes a record's signature covers. */
export function signingBytes(kind: string, payload: Uint8Array): Uint8Array {
  const context = new TextEncoder().encode(`${SIGNING_CONTEXT}${kind}\n`)
  const out = new Uint8Array(context.length + payload.length)
  out.set(context)
  out.set(payload, context.length)
  return out
}

/** Signs `fields` (without `kind`, `v` and `issuer`, which this adds) as a record of `kind` by `key`. */
export async function signRecord<K extends RecordKind>(
  key: PrivateKey,
  kind: K,
  fields: Readonly<Record<string, string | number | undefined>>,
): Promise<SignedRecord<Extract<AccessRecord, { kind: K }>>> {
  const issuer = peerIdOfKey(key)
  let payload: Uint8Array
  try {
    payload = encodePayload({ ...fields, kind, v: RECORD_VERSION, issuer })
  } catch (err) {
    throw new AccessError('INVALID_ARGUMENT', `Cannot sign this ${kind}: ${(err as Error).message}.`)
  }
  const signature = await key.sign(signingBytes(kind, payload))
  const id = grantEntryId(signature)
  const record = parseRecord(id, decodedFields(payload))
  if (isParseFailure(record)) throw new AccessError('INVALID_ARGUMENT', `Cannot sign this ${kind}: ${record.message}.`)
  return { id, payload, signature, record: record as Extract<AccessRecord, { kind: K }> }
}

/**
 * Decodes, parses and verifies a signed record; returns the record or why it is not acceptable. Never
 * throws. `fields` may be passed when the payload was already decoded (the grants reader does).
 */
export async function checkSigned(payload: Uint8Array, signature: Uint8Array, fields?: PayloadFields): Promise<SignedRecord | RecordRejection> {
  let decoded = fields
  if (decoded === undefined) {
    const result = decodePayload(payload)
    if (!result.ok) return { reason: 'MALFORMED', message: result.reason }
    decoded = result.fields
  }
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return { reason: 'MALFORMED', message: 'the signature is not 64 bytes' }
  const id = grantEntryId(signature)
  const record = parseRecord(id, decoded)
  if (isParseFailure(record)) return record
  const publicKey = publicKeyOfPeerId(record.issuer)
  let valid = false
  try {
    valid = publicKey !== undefined && (await publicKey.verify(signingBytes(record.kind, payload), signature))
  } catch {
    valid = false
  }
  if (!valid) return { reason: 'BAD_SIGNATURE', message: `the signature is not ${record.issuer}'s signature of this ${record.kind}` }
  return { id, payload, signature, record }
}

export function isRejection(value: SignedRecord | RecordRejection): value is RecordRejection {
  return 'reason' in value
}

function decodedFields(payload: Uint8Array): PayloadFields {
  const result = decodePayload(payload)
  if (!result.ok) throw new AccessError('INVALID_ARGUMENT', `Cannot sign this record: ${result.reason}.`)
  return result.fields
}
