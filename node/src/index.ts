/**
 * @quire/node: the libp2p peer every Quire role runs (browser, relay, compute, plain peer), its identity,
 * and Quire's protocols (node/PROTOCOL.md): sync of automerge-repo documents, blobs, discovery.
 */
export * from './libp2p/index.js'
export * from './identity/index.js'
export * from './discovery/index.js'
export * from './sync/index.js'
export * from './blob/index.js'
export * from './access/index.js'
export * from './pty/index.js'
export * from './snapshot/index.js'
export * from './daemon-options/index.js'
export * from './status/index.js'
