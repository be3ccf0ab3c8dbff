import { isLoopback } from '@libp2p/utils'
import type { ConnectionGater } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * Loopback addresses are refused unless `allowLoopback` (development and tests): in production a peer
 * that announces 127.0.0.1 is either misconfigured or trying to make us dial our own services.
 */
export function quireConnectionGater(allowLoopback: boolean): ConnectionGater {
  return {
    denyDialMultiaddr: (ma: Multiaddr) => !allowLoopback && isLoopback(ma),
  }
}
