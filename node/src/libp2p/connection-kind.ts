import type { Connection } from '@libp2p/interface'

/** How a connection reaches the remote peer. */
export type ConnectionKind = 'direct' | 'relayed' | 'webrtc'

/**
 * Classifies a connection by its remote address: a WebRTC connection was signaled through a relay
 * (`/p2p-circuit/webrtc`) but carries data directly, so `webrtc` is checked before `relayed`.
 */
export function connectionKind(connection: Pick<Connection, 'remoteAddr'>): ConnectionKind {
  const protos = connection.remoteAddr.getComponents().map((c) => c.name)
  if (protos.includes('webrtc')) return 'webrtc'
  if (protos.includes('p2p-circuit')) return 'relayed'
  return 'direct'
}
