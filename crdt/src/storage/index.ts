/** The automerge-repo storage adapter over abstract-level (classic-level, browser-level, memory-level). */
export {
  LevelStorageAdapter,
  type LevelDatabase,
  type LevelStorageAdapterOptions,
} from './level-storage-adapter.js'
export { StorageFailedError, type StorageOperation } from './storage-error.js'
