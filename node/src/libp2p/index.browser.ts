export * from './shared.js'
export { createQuireNode } from './create-node.browser.js'
