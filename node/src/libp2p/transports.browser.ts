import { webSockets } from '@libp2p/websockets'
import { webRTC } from '@libp2p/webrtc'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import type { PlatformTransports } from './platform.js'

/** Browser: WebSockets to relays, circuit relay for signaling, WebRTC for direct browser-to-browser links. */
export const platformTransports: PlatformTransports = {
  name: 'browser',
  transports({ webrtc }) {
    const list: ReturnType<PlatformTransports['transports']> = [webSockets(), circuitRelayTransport()]
    // Empty ICE servers: the default asks public STUN servers, unreachable here and a leak elsewhere.
    if (webrtc) list.push(webRTC({ rtcConfiguration: { iceServers: [] } }))
    return list
  },
  defaultListen(_role, webrtc) {
    return ['/p2p-circuit', ...(webrtc ? ['/webrtc'] : [])]
  },
  defaultWebRTC: true,
}
