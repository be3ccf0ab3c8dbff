export { IdentityError, type IdentityErrorCode } from './errors.js'
export { loadOrCreateIdentity } from './identity.browser.js'
