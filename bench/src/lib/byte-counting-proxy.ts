import { createServer, connect, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy on 127.0.0.1 that counts the bytes flowing through it in both directions. Both stacks in a
 * benchmark dial through one, so "bytes on the wire" means the same thing for each: everything the
 * transport sent, framing, encryption and handshakes included.
 */
export interface ByteCountingProxy {
  readonly port: number
  bytes(): number
  reset(): void
  close(): Promise<void>
}

export async function startByteCountingProxy(targetPort: number): Promise<ByteCountingProxy> {
  let total = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    for (const s of [client, upstream]) {
      // Without this, Nagle's algorithm holds small frames back for tens of milliseconds.
      s.setNoDelay(true)
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => { client.destroy(); upstream.destroy() })
      s.on('data', (chunk: Buffer) => { total += chunk.length })
    }
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy did not get a TCP port')
  return {
    port: address.port,
    bytes: () => total,
    reset: () => { total = 0 },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
