import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freeBasePort, isAlive, Launcher, processesMentioning, QUIRE_CLI, runQuire } from './helpers.js'

// The `quire` command as a user runs it (compiled dist/; build with `npx tsc -b bootstrap relay`).
describe('quire command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quire-cli-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('lists every command in --help', async () => {
    const r = await runQuire(['--help'])
    expect(r.code).toBe(0)
    for (const command of ['up', 'relay', 'compute', 'setup', 'id', 'project']) expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'))
  })

  it('has --help on each of its own commands, generated from the flags it parses', async () => {
    for (const [command, flag] of [['up', '--data-dir <dir>'], ['up', '--port <n>'], ['setup', '--with-sage'], ['id', '--json'], ['project', 'members']] as const) {
      const r = await runQuire([command, '--help'])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`Usage: quire ${command}`)
      expect(r.stdout).toContain(flag)
    }
  })

  it('passes relay --help through to the relay daemon', async () => {
    const r = await runQuire(['relay', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Usage: quire-relay')
    expect(r.stdout).toContain('--static-root')
  })

  it('passes a bad relay flag through and returns the relay\'s exit status', async () => {
    const r = await runQuire(['relay', '--no-such-flag'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('unknown flag "--no-such-flag"')
  })

  it('quire relay runs the relay until Ctrl-C, which reaches it once, and exits with its status', async () => {
    const port = await freeBasePort()
    const l = new Launcher(process.execPath, [QUIRE_CLI, 'relay', '--data-dir', join(dir, 'relay'), '--listen', `/ip4/127.0.0.1/tcp/${port}/ws`, '--allow-loopback'], dir)
    try {
      const ready = JSON.parse((await l.waitFor(/^\{"event":"ready".*$/m))[0]) as { pid: number; httpUrls: string[] }
      expect(ready.pid).not.toBe(l.proc.pid)
      expect((await fetch(`${ready.httpUrls[0]}/healthz`)).status).toBe(200)
      l.interrupt()
      expect(await l.exited).toBe(0)
      expect(l.output.match(/SIGINT: writing documents to disk and stopping/g)).toHaveLength(1)
      expect(isAlive(ready.pid)).toBe(false)
    } finally {
      l.kill()
    }
  })

  it('names an unknown flag, a bad value and an unknown command', async () => {
    const flag = await runQuire(['up', '--bogus'])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toContain('quire up: unknown flag "--bogus"; run `quire up --help`')
    const value = await runQuire(['up', '--port', 'eighty'])
    expect(value.code).toBe(2)
    expect(value.stderr).toContain('quire up --port: expected a whole number from 1 to 65533, got "eighty"')
    const missing = await runQuire(['id', '--data-dir'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('quire id --data-dir: expected a value <dir>')
    const command = await runQuire(['launch'])
    expect(command.code).toBe(2)
    expect(command.stderr).toContain('unknown command "launch"; the commands are up, relay, compute, setup, id, project')
  })

  it('says which line of a config file is wrong', async () => {
    const syntax = join(dir, 'syntax.json')
    writeFileSync(syntax, '{\n  "port": 4301,\n  "dataDir": "x",\n}\n')
    const r1 = await runQuire(['up', '--config', syntax])
    expect(r1.code).toBe(2)
    expect(r1.stderr).toContain(`config file ${syntax}:4:1: not valid JSON`)
    const field = join(dir, 'field.json')
    writeFileSync(field, '{\n  "dataDir": "data",\n  "port": "4301"\n}\n')
    const r2 = await runQuire(['up', '--config', field])
    expect(r2.code).toBe(2)
    expect(r2.stderr).toContain(`config file ${field}:3: field port: expected a whole number from 1 to 65533, got "4301"`)
    const unknown = join(dir, 'unknown.json')
    writeFileSync(unknown, '{"dataDir": "data",\n "colour": "blue"}')
    const r3 = await runQuire(['up', '--config', unknown])
    expect(r3.stderr).toContain(`config file ${unknown}:2: field colour: unknown field; known fields: dataDir, port, compute`)
    // The daemons' config files too: quire relay names the line before the relay starts.
    const r4 = await runQuire(['relay', '--config', syntax])
    expect(r4.code).toBe(2)
    expect(r4.stderr).toContain(`config file ${syntax}:4:1: not valid JSON`)
    expect(processesMentioning(dir)).toEqual([])
  })

  it('takes the port and data directory from a config file, relative to the file', async () => {
    const port = await freeBasePort()
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve))
    try {
      const file = join(dir, 'conf', 'up.json')
      mkdirSync(join(dir, 'conf'), { recursive: true })
      writeFileSync(file, JSON.stringify({ port, dataDir: 'net' }))
      const r = await runQuire(['up', '--config', file])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 (relay TCP) is in use`)
      expect(existsSync(join(dir, 'conf', 'net', 'relay'))).toBe(true)
      expect(existsSync(join(dir, 'conf', 'net', 'up.pid'))).toBe(false)
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
  })

  it('quire id creates an identity once and prints the same peer ID after', async () => {
    const peerDir = join(dir, 'peer')
    const first = await runQuire(['id', '--data-dir', peerDir, '--json'])
    expect(first.code).toBe(0)
    const a = JSON.parse(first.stdout) as { peerId: string; role: string; addresses: string[] }
    expect(a.role).toBe('peer')
    expect(a.peerId).toMatch(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/)
    expect(a.addresses).toEqual([])
    const second = await runQuire(['id', '--data-dir', peerDir])
    expect(second.stdout).toContain(a.peerId)
    expect(second.stdout).toContain('not running')
  })

  it('quire id on a local network directory prints the relay and the compute peer', async () => {
    const r = await runQuire(['id', '--json'], { cwd: dir })
    expect(r.code).toBe(0)
    const ids = JSON.parse(r.stdout) as Array<{ role: string; peerId: string; dataDir: string }>
    expect(ids.map((i) => i.role)).toEqual(['relay', 'compute'])
    expect(ids[0]!.dataDir).toBe(join(dir, '.quire', 'relay'))
    expect(ids[0]!.peerId).not.toBe(ids[1]!.peerId)
  })
})
