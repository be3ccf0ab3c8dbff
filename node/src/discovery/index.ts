export { projectKey, DiscoveryError, PROJECT_KEY_NAMESPACE } from './project-key.js'
export { announceProject, type AnnounceOptions, type ProjectAnnouncement } from './announce.js'
export { findProjectHolders, type ProjectHolder } from './find.js'
