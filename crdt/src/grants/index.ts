/**
 * The grants document of a project: owner, project id and append-only signed entries (grants,
 * revocations, invite redemptions). Shapes and storage only; signing and verification live in
 * @quire/node's access module.
 */
export { GRANTS_DOCUMENT_TYPE, SIGNATURE_BYTES, createGrants, type GrantsDoc, type GrantsInit, type StoredGrantEntry } from './grants-schema.js'
export { readGrants, type GrantsRead, type SignedEntry, type BrokenGrantEntry } from './grants-read.js'
export { appendGrantEntries, grantEntryId, type NewGrantEntry } from './grants-ops.js'
export { encodePayload, decodePayload, MAX_PAYLOAD_BYTES, MAX_PAYLOAD_FIELDS, type PayloadFields, type PayloadResult } from './payload.js'
export { toBase64Url, fromBase64Url } from './encoding.js'
export { readGrantsHistory } from './grants-history.js'
