// The stock terminal server the `terminal` benchmark compares against, built from the parts xterm.js's own
// demo server uses (xterm.js demo/server.js): node-pty running the shell, a plain WebSocket (`ws`) per
// viewer, output sent as it comes (`term.onData(d => ws.send(d))`), input written as it comes
// (`ws.on('message', d => term.write(d))`), no flow control, no sandbox, no screen copy. Several viewers of one
// terminal each get every byte, as in the demo when two sockets attach to one pid.
//
// Usage (forked by the benchmark, IPC channel required): node stock-server-main.js <working directory>
// Connect to ws://127.0.0.1:<port>/<name>: the terminal called <name> is started on first use.
// Speaks the ready/request protocol of @quire/node/testing's `startProcess`.
import pty from 'node-pty'
import { WebSocketServer, type WebSocket } from 'ws'

const cwd = process.argv[2] ?? process.cwd()
const terminals = new Map<string, pty.IPty>()

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
const address = wss.address()
if (address === null || typeof address === 'string') throw new Error('unexpected WebSocket server address')

wss.on('connection', (ws: WebSocket, request) => {
  const name = decodeURIComponent((request.url ?? '/').slice(1)) || 'terminal'
  let term = terminals.get(name)
  if (term === undefined) {
    term = pty.spawn('/bin/bash', ['-l'], {
      name: 'xterm-256color', cols: 80, rows: 24, cwd,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: cwd, TERM: 'xterm-256color', LANG: 'C.UTF-8' },
    })
    terminals.set(name, term)
    const started = term
    started.onExit(() => { if (terminals.get(name) === started) terminals.delete(name) })
  }
  const t = term
  const sub = t.onData((data) => { if (ws.readyState === ws.OPEN) ws.send(data) })
  ws.on('message', (data) => t.write(data.toString()))
  ws.on('close', () => sub.dispose())
})

const stop = (): void => {
  for (const t of terminals.values()) t.kill('SIGKILL')
  for (const ws of wss.clients) ws.terminate()
  wss.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 1000).unref()
}
process.once('SIGTERM', stop)
process.once('disconnect', stop)
process.send?.({ type: 'ready', info: { peerId: 'stock-terminal-server', addresses: [`ws://127.0.0.1:${address.port}`], pid: process.pid } })
