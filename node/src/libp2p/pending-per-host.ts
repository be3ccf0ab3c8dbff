import type { ConnectionGater, MultiaddrConnection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * Inbound connections being upgraded (noise, muxer), counted per remote host, for a connection gater.
 *
 * Why: libp2p's `maxIncomingPendingConnections` is one global count, and a connection that never sends a
 * byte holds its slot until the inbound upgrade timeout. A few dozen silent sockets from one address then
 * lock every new peer out. libp2p has no per-host cap (its per-host knob is a rate), so this counts in the
 * gater: `denyInboundConnection` runs just after libp2p took its global slot, and a refusal there gives the
 * slot straight back. A host's count drops when the upgrade ends: the connection upgraded
 * (`denyInboundUpgradedConnection`), closed, or at the latest when libp2p's upgrade timeout has passed.
 *
 * A host is an IPv4 address or an IPv6 /64 (one subscriber's prefix: a host picks any address in it).
 */
export class PendingPerHost {
  private readonly counts = new Map<string, number>()
  private readonly open = new Map<MultiaddrConnection, () => void>()

  /**
   * @param maxPerHost connections one host may have in the upgrade at once; more are refused.
   * @param upgradeTimeoutMs libp2p's inbound upgrade timeout: after it, libp2p has let go of the connection.
   */
  constructor(private readonly maxPerHost: number, private readonly upgradeTimeoutMs: number) {}

  /** Connections of `host` being upgraded now (for tests and metrics). */
  pending(host?: string): number {
    if (host !== undefined) return this.counts.get(host) ?? 0
    let n = 0
    for (const c of this.counts.values()) n += c
    return n
  }

  /** The gater hooks; merge them into a {@link ConnectionGater}. */
  gater(): Pick<ConnectionGater, 'denyInboundConnection' | 'denyInboundUpgradedConnection'> {
    return {
      denyInboundConnection: (maConn) => !this.admit(maConn),
      denyInboundUpgradedConnection: (_peer, maConn) => {
        this.open.get(maConn)?.()
        return false
      },
    }
  }

  private admit(maConn: MultiaddrConnection): boolean {
    // A relayed connection's address starts with the relay's IP, not the peer's: it is not that host's.
    const relayed = maConn.remoteAddr.getComponents().some((c) => c.name === 'p2p-circuit')
    const host = relayed ? undefined : hostKey(maConn.remoteAddr)
    if (host === undefined) return true
    const count = this.counts.get(host) ?? 0
    if (count >= this.maxPerHost) return false
    this.counts.set(host, count + 1)
    let done = false
    const release = (): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      maConn.removeEventListener('close', release)
      this.open.delete(maConn)
      const left = (this.counts.get(host) ?? 1) - 1
      if (left <= 0) this.counts.delete(host)
      else this.counts.set(host, left)
    }
    // A margin past libp2p's own timeout, so its abort has surely run first.
    const timer = setTimeout(release, this.upgradeTimeoutMs + 1_000)
    timer.unref?.()
    maConn.addEventListener('close', release)
    this.open.set(maConn, release)
    return true
  }
}

/** The host part of a connection's remote address: the IPv4 address, or an IPv6 address's /64. */
export function hostKey(addr: Multiaddr): string | undefined {
  for (const c of addr.getComponents()) {
    if ((c.name === 'ip4' || c.name === 'ip6') && c.value !== undefined) return hostOfIp(c.value)
  }
  return undefined
}

/**
 * The host an IP address (as Node's `socket.remoteAddress` gives it) counts as: an IPv4 address (also when
 * IPv4-mapped), or an IPv6 address's /64, one subscriber's prefix.
 */
export function hostOfIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped) return mapped[1]!
  if (!ip.includes(':')) return ip
  return `${expandIPv6(ip.split('%')[0]!).slice(0, 4).join(':')}::/64`
}

/** The eight 16-bit groups of an IPv6 address, written without `::` shortening. */
function expandIPv6(address: string): string[] {
  const [head, tail] = address.split('::', 2) as [string, string | undefined]
  const left = head === '' ? [] : head.split(':')
  const right = tail === undefined || tail === '' ? [] : tail.split(':')
  const fill = tail === undefined ? [] : new Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0')
  return [...left, ...fill, ...right].map((g) => (parseInt(g, 16) || 0).toString(16))
}
