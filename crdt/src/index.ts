/**
 * @quire/crdt: Quire's shared documents (project, text, notebook, chat) as Automerge schemas with typed,
 * validating readers and operations; ipynb import/export; an automerge-repo storage adapter over
 * abstract-level. No networking: runs in browsers and Node alike.
 */
export { CodedError, CrdtError, type CrdtErrorCode } from './errors.js'
export * from './read/index.js'
export * from './documents/index.js'
export * from './notebook/index.js'
export * from './storage/index.js'
export * from './grants/index.js'
