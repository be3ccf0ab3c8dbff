/**
 * Format `btrfs` (N25): a snapshot travels as the `btrfs send` stream of its read-only subvolume, with `-p
 * <parent>` when the receiver holds the parent (received the same way), so only the blocks that changed
 * since the parent are sent; the receiver feeds it to `btrfs receive` into its replica folder. Both sides are
 * BTRFS and root. BTRFS checks each command of the stream (CRC32C) and finds the parent by its received UUID.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { DATA_FRAME_BYTES, type Frame } from './frames.js'
import { ReplicaError } from './types.js'

/** Streams `btrfs send [-p parent] tree` as `{d}` frames; throws REPLICA_FAILED when the command fails. */
export async function sendBtrfs(tree: string, parent: string | undefined, send: (frame: Frame) => Promise<void>): Promise<void> {
  const child = spawn('btrfs', ['send', ...(parent === undefined ? [] : ['-p', parent]), tree], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = exitOf(child)
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (t: string) => { stderr = (stderr + t).slice(-2000) })
  try {
    // The child's output is read only as fast as the stream drains: bounded memory on both sides.
    for await (const chunk of child.stdout) {
      const buf = chunk as Buffer
      for (let at = 0; at < buf.byteLength; at += DATA_FRAME_BYTES) await send({ d: buf.subarray(at, at + DATA_FRAME_BYTES) })
    }
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  const code = await exited
  if (code !== 0) throw new ReplicaError('REPLICA_FAILED', `btrfs send of ${tree} failed (${code}): ${stderr.trim().split('\n').slice(-2).join(' | ')}`)
}

/**
 * Feeds `{d}` frames to `btrfs receive <dir>` until the `{end}` frame, which it returns with whether the
 * command accepted the stream. A stream cut short kills the command (its half-made subvolume is a stray).
 */
export async function receiveBtrfs(next: () => Promise<Frame | undefined>, dir: string): Promise<{ end: Frame; ok: boolean; detail: string }> {
  const child = spawn('btrfs', ['receive', '-e', dir], { stdio: ['pipe', 'ignore', 'pipe'] })
  const exited = exitOf(child)
  let stderr = ''
  let broken = false
  child.stderr.setEncoding('utf8').on('data', (t: string) => { stderr = (stderr + t).slice(-2000) })
  child.stdin.on('error', () => { broken = true }) // it stopped reading (refused the stream): told by its exit
  let frame: Frame | undefined
  try {
    for (;;) {
      frame = await next()
      const d = frame?.['d']
      if (!(d instanceof Uint8Array)) break
      if (broken || child.exitCode !== null) continue // keep reading to the end frame, to answer with the right code
      // A drain, or the command gone (it refused the stream: its exit says so after the end frame).
      if (!child.stdin.write(d)) await Promise.race([once(child.stdin, 'drain').catch(() => undefined), exited])
    }
  } catch (err) {
    child.kill('SIGKILL')
    await exited
    throw err
  }
  if (frame === undefined) {
    child.kill('SIGKILL')
    await exited
    throw new ReplicaError('REPLICA_INCOMPLETE', 'the transfer stopped before its end frame; it is not kept')
  }
  child.stdin.end()
  const code = await exited
  return { end: frame, ok: code === 0, detail: `${code}: ${stderr.trim().split('\n').slice(-2).join(' | ')}` }
}

/** How a command ended: 0, `exit N`, `signal S`, or why it could not start; never rejects. */
function exitOf(child: ChildProcess): Promise<number | string> {
  return new Promise((resolve) => {
    child.once('error', (err) => resolve(`could not run btrfs: ${err.message}`))
    child.once('close', (code, signal) => resolve(code === 0 ? 0 : code !== null ? `exit ${code}` : `signal ${signal}`))
  })
}
