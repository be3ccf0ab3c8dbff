export { IdentityError, type IdentityErrorCode } from './errors.js'
export { loadOrCreateIdentity, restrictIdentityFile, IDENTITY_KEY_FILE } from './identity.js'
