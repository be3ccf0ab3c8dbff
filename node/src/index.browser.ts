/**
 * @quire/node, browser entry (selected by the `browser` export condition): the same API as index.ts with
 * the browser's transports (WebSockets, WebRTC, circuit relay) and an IndexedDB identity. Keep the list of
 * modules in step with index.ts.
 */
export * from './libp2p/index.browser.js'
export * from './identity/index.browser.js'
export * from './discovery/index.js'
export * from './sync/index.js'
export * from './blob/index.js'
export * from './access/index.js'
export * from './status/index.js'
export * from './pty/index.js'
export * from './snapshot/index.js'
// No './daemon-options/index.js': it reads config files with node:fs, which the browser bundle lacks.
