/**
 * A terminal's pty host: started by the compute peer inside the terminal's sandbox (T2), it runs the shell on
 * a pty (node-pty) and relays the pty's bytes, resizes and exit over stdin and stdout. node-pty runs here,
 * not in the compute peer, so the shell's session and controlling terminal are made inside the sandbox
 * (bubblewrap's --new-session detaches the sandbox from any terminal outside) and the pty's process is under
 * the sandbox's limits.
 *
 * Usage (by the compute peer only): node pty-host-main.js '<PtyHostConfig as JSON>'
 */
import { stat } from 'node:fs/promises'
import pty from 'node-pty'
import { FrameChannel } from '../pipe/frame-channel.js'
import { PTY_PIPE_MAX_FRAME_BYTES, type FromPtyHost, type PtyHostConfig } from './pty-pipe.js'

// stdout carries frames only.
console.log = console.error
console.info = console.error
console.warn = console.error

/** Stop reading the pty while this much is waiting to go out on stdout (the pipe's bound is 4 frames). */
const STDOUT_HIGH_BYTES = 256 * 1024
/** Coalesce the pty's small reads into frames of at most this many bytes. */
const FRAME_DATA_BYTES = 64 * 1024

const config = JSON.parse(process.argv[2] ?? '{}') as PtyHostConfig
// A fork bomb in the shell can use up the sandbox's process count: libuv's threads must exist before it does.
await stat(config.cwd).catch(() => undefined)

let pausedByPeer = false
let pausedByPipe = false
let exited = false

const send = (frame: FromPtyHost): boolean => channel.send(frame)

const shell = pty.spawn(config.argv[0]!, [...config.argv.slice(1)], {
  name: 'xterm-256color', cols: config.cols, rows: config.rows, cwd: config.cwd, env: { ...config.env },
  encoding: null,
} as pty.IPtyForkOptions)

const channel = new FrameChannel({
  input: process.stdin,
  output: process.stdout,
  maxFrameBytes: PTY_PIPE_MAX_FRAME_BYTES,
  onFrame: (value) => {
    const frame = value as { t?: unknown; d?: unknown; cols?: unknown; rows?: unknown }
    if (frame.t === 'input' && frame.d instanceof Uint8Array) shell.write(Buffer.from(frame.d))
    else if (frame.t === 'resize' && Number.isInteger(frame.cols) && Number.isInteger(frame.rows)) shell.resize(frame.cols as number, frame.rows as number)
    else if (frame.t === 'pause') { pausedByPeer = true; flow() }
    else if (frame.t === 'resume') { pausedByPeer = false; flow() }
  },
  // The compute peer went away: the sandbox is killed with it; end the shell first.
  onClose: () => { if (!exited) shell.kill('SIGHUP'); setTimeout(() => process.exit(0), 200).unref() },
})

let reading = true
function flow(): void {
  const want = !pausedByPeer && !pausedByPipe
  if (want && !reading) shell.resume()
  else if (!want && reading) shell.pause()
  reading = want
}

let pending: Buffer[] = []
let pendingBytes = 0
let flushScheduled = false
function flush(): void {
  flushScheduled = false
  if (pendingBytes === 0) return
  const all = Buffer.concat(pending, pendingBytes)
  pending = []
  pendingBytes = 0
  for (let at = 0; at < all.byteLength; at += FRAME_DATA_BYTES) send({ t: 'data', d: all.subarray(at, at + FRAME_DATA_BYTES) })
  if (process.stdout.writableLength > STDOUT_HIGH_BYTES && !pausedByPipe) {
    pausedByPipe = true
    flow()
    process.stdout.once('drain', () => { pausedByPipe = false; flow() })
  }
}

shell.onData((data: string | Buffer) => {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  pending.push(bytes)
  pendingBytes += bytes.byteLength
  if (pendingBytes >= FRAME_DATA_BYTES) flush()
  else if (!flushScheduled) { flushScheduled = true; setImmediate(flush) }
})

shell.onExit(({ exitCode, signal }) => {
  exited = true
  flush()
  send({ t: 'exit', code: exitCode, signal: signal ?? 0 })
  channel.close()
  setTimeout(() => process.exit(0), 100).unref()
})
process.on('SIGTERM', () => shell.kill('SIGHUP'))
