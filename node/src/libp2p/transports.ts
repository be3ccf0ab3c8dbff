import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { webRTC } from '@libp2p/webrtc'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import type { PlatformTransports } from './platform.js'

/** Node: TCP and WebSockets; circuit relay always (to reach peers behind a relay); WebRTC on request. */
export const platformTransports: PlatformTransports = {
  name: 'node',
  transports({ webrtc }) {
    const list: ReturnType<PlatformTransports['transports']> = [tcp(), webSockets(), circuitRelayTransport()]
    // Empty ICE servers: the default asks public STUN servers, unreachable here and a leak elsewhere.
    if (webrtc) list.push(webRTC({ rtcConfiguration: { iceServers: [] } }))
    return list
  },
  defaultListen(role, webrtc) {
    if (role === 'relay') return ['/ip4/0.0.0.0/tcp/4001', '/ip4/0.0.0.0/tcp/4002/ws']
    return ['/ip4/0.0.0.0/tcp/0', '/p2p-circuit', ...(webrtc ? ['/webrtc'] : [])]
  },
  defaultWebRTC: false,
}
