import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runLocalNetwork, type QuireBuild } from '@quire/bootstrap'
import { freeBasePort, processesMentioning } from './helpers.js'

/**
 * A stand-in relay: its --help lists `flags`, and when run it announces itself like the real one, then
 * behaves as `behaviour` says. Lets the launcher's supervision and its handling of older daemons be tested
 * in seconds, without libp2p.
 */
function fakeDaemon(dir: string, name: string, flags: readonly string[], behaviour: 'exit-soon' | 'run'): string {
  const path = join(dir, `${name}.mjs`)
  writeFileSync(path, `
if (process.argv.includes('--help')) { console.log(${JSON.stringify(flags.join('\n'))}); process.exit(0) }
// The handler goes in before the first line: the launcher may send SIGTERM as soon as it reads one, and a
// signal with no handler yet kills the process before it can say 'stopping'.
${behaviour === 'run' ? `process.on('SIGTERM', () => { console.error('${name}: stopping'); process.exit(0) })` : ''}
const port = Number((process.argv.join(' ').match(/tcp\\/(\\d+)/) ?? [])[1] ?? 0)
console.log(JSON.stringify({ event: 'ready', peerId: 'fake-${name}', addresses: ['/ip4/127.0.0.1/tcp/' + port + '/p2p/fake-${name}'], httpUrls: [], pid: process.pid }))
console.error('${name}: args ' + process.argv.slice(2).join(' '))
${behaviour === 'exit-soon' ? "setTimeout(() => process.exit(3), 200)" : 'setInterval(() => {}, 1000)'}
`)
  return path
}

const RELAY_FLAGS = ['--data-dir', '--listen', '--static-root', '--allow-loopback', '--web-config', '--hosting']

describe('quire up: supervision and older daemons', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quire-supervise-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const build = (relayCli: string): QuireBuild => ({ root: dir, relayCli, computeCli: join(dir, 'no-compute.mjs'), webDist: join(dir, 'web') })

  it('restarts a daemon that keeps exiting a few times, then stops and says so', async () => {
    const relay = fakeDaemon(dir, 'crashing', RELAY_FLAGS, 'exit-soon')
    const lines: string[] = []
    const code = await runLocalNetwork({
      dataDir: join(dir, 'crash'), basePort: await freeBasePort(), compute: true, build: build(relay), restartLimit: 2,
      out: (line) => lines.push(line),
    }, new AbortController().signal)
    const text = lines.join('\n')
    expect(code).toBe(1)
    expect(text).toContain('the relay exited with status 3 unexpectedly; restarting it (1 of 2)')
    expect(text).toContain('the relay exited with status 3 unexpectedly; restarting it (2 of 2)')
    expect(text).toContain('the relay exited with status 3 again, 3 times in 10 minutes; stopping.')
    expect(text).toMatch(/compute peer +not running\n +not built/)
    expect(processesMentioning(relay)).toEqual([])
  })

  it('passes only the flags a daemon knows, and says what that leaves out', async () => {
    const relay = fakeDaemon(dir, 'older', ['--data-dir', '--listen', '--allow-loopback'], 'run')
    const lines: string[] = []
    const stop = new AbortController()
    const done = runLocalNetwork({
      dataDir: join(dir, 'older'), basePort: await freeBasePort(), compute: false, build: build(relay),
      out: (line) => {
        lines.push(line)
        // Stop once the banner is out and the daemon has said what it was given (their order varies).
        if (lines.some((l) => l.includes('Press Ctrl-C to stop.')) && lines.some((l) => l.startsWith('[relay] older: args '))) stop.abort()
      },
    }, stop.signal)
    expect(await done).toBe(0)
    const text = lines.join('\n')
    expect(text).toContain('Note: this relay has no --web-config flag yet, so the web app does not learn which peers to grant projects to')
    expect(text).toContain('Note: this relay has no --static-root flag yet, so it does not serve the web app')
    const args = lines.find((l) => l.startsWith('[relay] older: args '))!
    expect(args).toContain(`--data-dir ${join(dir, 'older', 'relay')}`)
    expect(args).not.toContain('--web-config')
    expect(text).toContain('[relay] older: stopping')
    expect(processesMentioning(relay)).toEqual([])
  })

  it('refuses a relay that lacks a flag it cannot run without', async () => {
    const relay = fakeDaemon(dir, 'ancient', ['--listen'], 'run')
    mkdirSync(join(dir, 'web'), { recursive: true })
    await expect(runLocalNetwork({
      dataDir: join(dir, 'ancient'), basePort: await freeBasePort(), compute: false, build: build(relay), out: () => {},
    }, new AbortController().signal)).rejects.toThrow('has no --data-dir flag; rebuild it with `npm run build`')
  })
})
