/**
 * @quire/crdt/testing: shared contract suites and the in-memory test network, for this package's tests
 * and for other packages that implement the same contracts.
 */
export * from './storage-suite.js'
export * from './test-network.js'
