import { describe, expect, it } from 'vitest'
import { fork } from 'node:child_process'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isLibp2pStreamRace } from '@quire/node'

const nodeDist = fileURLToPath(new URL('../dist/index.js', import.meta.url))

function streamRace(): Error {
  const error = new Error('Cannot write to a stream that is closed')
  error.name = 'StreamStateError'
  error.stack = `StreamStateError: Cannot write to a stream that is closed\n    at YamuxMuxer.send (/x/node_modules/@libp2p/yamux/dist/src/muxer.js:401:21)`
  return error
}

/** Runs a script in a child process that installs the guard, then throws `throwExpr` from a microtask. */
function runGuarded(throwExpr: string): Promise<{ code: number | null; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'quire-guard-'))
  const script = join(dir, 'main.mjs')
  writeFileSync(script, `
    import { installCrashGuard } from ${JSON.stringify(nodeDist)}
    const guard = installCrashGuard((line) => process.stderr.write(line + '\\n'))
    queueMicrotask(() => { throw ${throwExpr} })
    setTimeout(() => { process.stderr.write('alive absorbed=' + guard.absorbed + '\\n'); process.exit(0) }, 100)
  `)
  return new Promise((resolve) => {
    const child = fork(script, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('exit', (code) => { rmSync(dir, { recursive: true, force: true }); resolve({ code, stderr }) })
  })
}

describe('crash guard for the uncaught libp2p stream race', () => {
  it('[L20] recognises only StreamStateError thrown from libp2p stream code', () => {
    expect(isLibp2pStreamRace(streamRace())).toBe(true)
    // As a test runner hands it over from a worker: a plain object, no longer an Error.
    expect(isLibp2pStreamRace({ name: 'StreamStateError', stack: streamRace().stack })).toBe(true)
    const elsewhere = streamRace()
    elsewhere.stack = 'StreamStateError: x\n    at mine (/app/src/thing.js:1:1)'
    expect(isLibp2pStreamRace(elsewhere)).toBe(false)
    expect(isLibp2pStreamRace(new TypeError('boom'))).toBe(false)
    expect(isLibp2pStreamRace('StreamStateError')).toBe(false)
  })

  it('[L20] a guarded process absorbs the race and stays up, but still dies of any other uncaught error', async () => {
    const race = `Object.assign(new Error('Cannot write to a stream that is closed'), { name: 'StreamStateError', stack: 'StreamStateError\\n at f (/n/node_modules/@libp2p/utils/dist/src/abstract-message-stream.js:1:1)' })`
    const absorbed = await runGuarded(race)
    expect(absorbed.code).toBe(0)
    expect(absorbed.stderr).toContain('absorbed a libp2p stream race')
    expect(absorbed.stderr).toContain('alive absorbed=1')

    const other = await runGuarded(`new TypeError('a real bug')`)
    expect(other.code).toBe(1)
    expect(other.stderr).toContain('a real bug')
    expect(other.stderr).not.toContain('alive')
  })
})
