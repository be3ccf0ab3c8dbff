import { isLoopback } from '@libp2p/utils'
import type { ConnectionGater } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { PendingPerHost } from './pending-per-host.js'

/**
 * Loopback addresses are refused unless `allowLoopback` (development and tests): in production a peer
 * that announces 127.0.0.1 is either misconfigured or trying to make us dial our own services.
 * With `pending`, inbound connections past its per-host cap on upgrades in progress are refused (L21).
 */
export function quireConnectionGater(allowLoopback: boolean, pending?: PendingPerHost): ConnectionGater {
  return {
    denyDialMultiaddr: (ma: Multiaddr) => !allowLoopback && isLoopback(ma),
    ...pending?.gater(),
  }
}
