// Node entry: libp2p 3 needs Promise.withResolvers and a global WebSocket, which Node 20 lacks.
import '../polyfills.js'
import { assembleQuireNode } from './assemble.js'
import { platformTransports } from './transports.js'
import type { QuireNode, QuireNodeInit } from './init.js'

/** Creates (and by default starts) the libp2p node for `init.role` with Node's transports. */
export function createQuireNode(init: QuireNodeInit): Promise<QuireNode> {
  return assembleQuireNode(init, platformTransports)
}
