import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** Linux's range for ports bound as port 0; read once. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    if (Number.isSafeInteger(low) && Number.isSafeInteger(high)) return [low!, high!]
  } catch { /* not Linux: the usual default below */ }
  return [32768, 60999]
}

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/**
 * A loopback port that is free now, for a daemon a test must start (and restart) on a known port. It is
 * picked below the ephemeral range on purpose: every other listener in the suite binds port 0, which the
 * system takes from that range, so a port chosen there can be taken by another process between this check
 * and the daemon's bind (a relay once failed with EADDRINUSE that way, in a CI run). Below it, only another
 * test picking at random could take it.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange()
  const floor = Math.min(20_000, low - 1000)
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = floor + Math.floor(Math.random() * (low - floor))
    if (await tryListen(port)) return port
  }
  throw new Error('found no free loopback port below the ephemeral range in 100 tries')
}
