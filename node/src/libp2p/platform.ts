import type { Libp2pOptions } from 'libp2p'
import type { QuireRole } from './init.js'

/** The transports one platform (Node or browser) offers; chosen by the `browser` export condition. */
export interface PlatformTransports {
  readonly name: 'node' | 'browser'
  transports(options: { webrtc: boolean }): NonNullable<Libp2pOptions['transports']>
  defaultListen(role: QuireRole, webrtc: boolean): string[]
  readonly defaultWebRTC: boolean
}
