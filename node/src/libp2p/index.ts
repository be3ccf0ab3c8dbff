export * from './shared.js'
export { createQuireNode } from './create-node.js'
export { installCrashGuard, isLibp2pStreamRace, type CrashGuard } from './crash-guard.js'
