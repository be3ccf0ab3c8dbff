import { assembleQuireNode } from './assemble.js'
import { platformTransports } from './transports.browser.js'
import type { QuireNode, QuireNodeInit } from './init.js'

/** Creates (and by default starts) the libp2p node for `init.role` with the browser's transports. */
export function createQuireNode(init: QuireNodeInit): Promise<QuireNode> {
  return assembleQuireNode(init, platformTransports)
}
