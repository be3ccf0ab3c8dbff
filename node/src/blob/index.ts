export { BlobError, BLOB_ERROR_CODES, type BlobErrorCode } from './errors.js'
export { isBlobHash, sha256Hex } from './hash.js'
export { BlobStore, type BlobStoreOptions } from './blob-store.js'
export {
  BLOB_PROTOCOL,
  BlobService,
  DEFAULT_MAX_BLOB_BYTES,
  DEFAULT_MAX_BLOB_STREAMS,
  type BlobAuthorizer,
  type BlobServiceInit,
  type BlobTransferOptions,
} from './blob-service.js'
