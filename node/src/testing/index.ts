/** @quire/node/testing: helpers to run real peers in child processes, and shared protocol test suites. */
export * from './processes.js'
export * from './sync-helpers.js'
export { serveCommands, type ServedCommand } from './serve-commands.js'
export { RecordingAdapter } from './recording-adapter.js'
export { freePort } from './free-port.js'
