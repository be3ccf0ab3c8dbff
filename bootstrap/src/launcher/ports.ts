import { createServer } from 'node:net'
import { QuireCliError } from '../errors.js'

/** The local network's ports, consecutive from `--port`. */
export interface NetworkPorts {
  relayTcp: number
  /** The relay's WebSocket port, which also serves the web app, /healthz, /metrics and /quire.json. */
  relayWs: number
  computeTcp: number
}

export const DEFAULT_BASE_PORT = 4301

export function networkPorts(base: number): NetworkPorts {
  return { relayTcp: base, relayWs: base + 1, computeTcp: base + 2 }
}

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/**
 * Fails with `QUIRE_PORT_IN_USE` naming the first taken port. Checked before starting anything, so the
 * user gets one clear message instead of a daemon's listen error.
 */
export async function assertPortsFree(ports: NetworkPorts, host: string): Promise<void> {
  const named: Array<[string, number]> = [['relay TCP', ports.relayTcp], ['relay WebSocket and web app', ports.relayWs], ['compute peer', ports.computeTcp]]
  for (const [what, port] of named) {
    if (!await isFree(port, host)) {
      throw new QuireCliError('QUIRE_PORT_IN_USE',
        `port ${port} on ${host} (${what}) is in use, perhaps by another \`quire up\`. Stop that, or choose other ports with --port <n> ` +
        `(the local network uses n, n+1 and n+2; default ${DEFAULT_BASE_PORT})`)
    }
  }
}
