import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COMPUTE_CLI, freeBasePort, isAlive, killMentioning, Launcher, processesMentioning, QUIRE_CLI, runQuire, waitUntil } from './helpers.js'

// The launcher as `npm start` runs it (compiled dist/, real relay and compute peer processes), in a
// temporary directory with ports away from the defaults. Build first: `npx tsc -b bootstrap relay`.
describe('quire up: the local network', () => {
  let dir: string
  let port: number
  const launchers: Launcher[] = []

  const start = (extra: string[] = []): Launcher => {
    const l = new Launcher(process.execPath, [QUIRE_CLI, 'up', '--port', String(port), ...extra], dir)
    launchers.push(l)
    return l
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quire-up-'))
    port = await freeBasePort()
  })

  afterAll(() => {
    for (const l of launchers) l.kill()
    killMentioning(dir)
    rmSync(dir, { recursive: true, force: true })
  })

  let firstIds: { relay: string; compute: string }

  it('starts a relay, prints the URL, answers /healthz, writes the web config, and stops every child on SIGINT', async () => {
    const l = start()
    const url = (await l.waitFor(/Open (http:\/\/127\.0\.0\.1:\d+\/)/))[1]!
    expect(url).toBe(`http://127.0.0.1:${port + 1}/`)
    await l.waitFor(/Press Ctrl-C to stop\./)
    const pids = l.bannerPids()
    expect(pids.length).toBeGreaterThanOrEqual(1)
    for (const pid of pids) expect(isAlive(pid)).toBe(true)

    const health = await (await fetch(new URL('/healthz', url))).json() as { ok: boolean; peerId: string }
    expect(health.ok).toBe(true)
    expect(l.output).toContain(`relay        ${health.peerId} (pid ${pids[0]})`)

    const config = JSON.parse(readFileSync(join(dir, '.quire', 'web-config.json'), 'utf8')) as { autoGrant: Array<{ peerId: string; role: string }>; missing: unknown[]; installCommand: string }
    expect(config.autoGrant).toContainEqual({ peerId: health.peerId, role: 'relay' })
    const compute = config.autoGrant.find((g) => g.role === 'compute')
    // With the compute peer built, it runs, is in the banner with its pid, and is granted.
    if (existsSync(COMPUTE_CLI)) {
      expect(compute).toBeDefined()
      expect(pids).toHaveLength(2)
      expect(l.output).toContain(`compute peer ${compute!.peerId} (pid ${pids[1]})`)
    }
    // The relay serves the web config to the web app, next to its own addresses.
    const quireJson = await (await fetch(new URL('/quire.json', url))).json() as { autoGrant?: unknown; missing?: unknown; relay?: { peerId: string } }
    expect(quireJson.autoGrant).toEqual(config.autoGrant)
    expect(quireJson.missing).toEqual(config.missing)
    expect(quireJson.relay?.peerId).toBe(health.peerId)
    firstIds = { relay: health.peerId, compute: compute?.peerId ?? '' }

    // `quire id` while it runs: the same IDs, with the pid and addresses.
    const id = await runQuire(['id', '--json'], { cwd: dir })
    expect(id.code).toBe(0)
    const ids = JSON.parse(id.stdout) as Array<{ role: string; peerId: string; pid?: number; addresses: string[] }>
    expect(ids.find((i) => i.role === 'relay')).toMatchObject({ peerId: health.peerId, pid: pids[0] })
    expect(ids.find((i) => i.role === 'relay')!.addresses.some((a) => a.includes(`/tcp/${port}/`))).toBe(true)

    l.interrupt()
    expect(await l.exited).toBe(0)
    expect(l.output).toContain('Stopped. Data kept in')
    for (const pid of pids) expect(isAlive(pid)).toBe(false)
    expect(processesMentioning(dir)).toEqual([])
    // The data is intact and the launcher's own files are cleaned up.
    expect(existsSync(join(dir, '.quire', 'relay', 'identity.key'))).toBe(true)
    expect(existsSync(join(dir, '.quire', 'relay', 'db'))).toBe(true)
    expect(existsSync(join(dir, '.quire', 'up.pid'))).toBe(false)
    expect(existsSync(join(dir, '.quire', 'network.json'))).toBe(false)
  })

  it('reuses the same data and peer IDs on a second start', async () => {
    const l = start()
    await l.waitFor(/Press Ctrl-C to stop\./)
    const health = await (await fetch(`http://127.0.0.1:${port + 1}/healthz`)).json() as { peerId: string }
    expect(health.peerId).toBe(firstIds.relay)
    const config = JSON.parse(readFileSync(join(dir, '.quire', 'web-config.json'), 'utf8')) as { autoGrant: Array<{ peerId: string; role: string }> }
    expect(config.autoGrant.find((g) => g.role === 'compute')?.peerId ?? '').toBe(firstIds.compute)

    // A second launcher on the same directory is refused with what to do.
    const second = await runQuire(['up', '--port', String(port + 10)], { cwd: dir })
    expect(second.code).toBe(1)
    expect(second.stderr).toMatch(/another `quire up` \(pid \d+\) is running on .*; stop it/)
    expect(second.stderr).toContain('QUIRE_DATA_DIR_IN_USE')

    // A daemon that dies is restarted, under the same identity.
    const relayPid = l.bannerPids()[0]!
    process.kill(relayPid, 'SIGKILL')
    await l.waitFor(/the relay was killed by SIGKILL unexpectedly; restarting it \(1 of 3\)/, 20_000)
    await l.waitFor(/the relay is running again \(pid \d+\)/, 60_000)
    const again = await (await fetch(`http://127.0.0.1:${port + 1}/healthz`)).json() as { peerId: string }
    expect(again.peerId).toBe(firstIds.relay)

    l.interrupt()
    expect(await l.exited).toBe(0)
    await waitUntil(() => processesMentioning(dir).length === 0, 5000, 'every child to be gone')
  })

  it('stops whatever already started when Ctrl-C comes while the daemons are starting', async () => {
    const l = start(['--data-dir', join(dir, 'early')])
    await l.waitFor(/Starting the Quire local network/)
    l.interrupt()
    expect(await l.exited).toBe(0)
    expect(l.output).toContain('Stopped. Data kept in')
    expect(l.output).not.toContain('Press Ctrl-C to stop.')
    await waitUntil(() => processesMentioning(dir).length === 0, 5000, 'every child to be gone')
  })

  it('names the port in use and the flag that changes it', async () => {
    const blocker: Server = createServer()
    await new Promise<void>((resolve) => blocker.listen(port + 1, '127.0.0.1', resolve))
    try {
      const r = await runQuire(['up', '--port', String(port), '--data-dir', join(dir, 'other')], { cwd: dir })
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`port ${port + 1} on 127.0.0.1 (relay WebSocket and web app) is in use`)
      expect(r.stderr).toContain('--port <n>')
      expect(processesMentioning(dir)).toEqual([])
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
  })
})
