/**
 * Shared terminals end to end: the compute daemon as a child process (real sandbox, real bash, real
 * node-pty), members in this process over loopback libp2p.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { appendGrantEntries } from '@quire/crdt'
import { revokeMember } from '@quire/node'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshScreen, type ScreenViewer } from '../../src/testing/index.js'
import { codeOf, hostProcesses, list, terminalWorld, until, view, type TerminalWorld } from './harness.js'
import { grant, member } from '../daemon/peers.js'

let world: TerminalWorld
const viewers: ScreenViewer[] = []

async function open(...args: Parameters<typeof view>): Promise<ScreenViewer> {
  const v = await view(...args)
  viewers.push(v)
  return v
}

beforeAll(async () => {
  world = await terminalWorld(['--idle-timeout-seconds', '6'])
}, 180_000)

afterAll(async () => {
  for (const v of viewers) { v.viewer.detach(); v.dispose() }
  await world?.stop()
})

describe('shared terminals', () => {
  it('[T1] [T2] a writer opens a terminal: bash in the workspace, in the sandbox, runs a command and shows its output', async () => {
    const a = await open(world, world.writer, { name: 'main' })
    expect(a.viewer.terminal).toMatchObject({ name: 'main', state: 'running', cols: 80, rows: 24, createdBy: world.writer.id })
    a.viewer.write('echo hello > f.txt && ls && pwd && id -u && echo $((6*7))-done\r')
    const text = await a.waitFor(/42-done\n/)
    expect(text).toContain('f.txt')
    expect(text).toContain(world.workdir)
    expect(await readFile(join(world.workdir, 'f.txt'), 'utf8')).toBe('hello\n')
    // The sandbox's user, not the compute peer's.
    expect(text).toMatch(/\n1000\n/)
  })

  it('[T9] a second viewer attaching gets the screen and scrollback at once, as a fresh terminal fed the same bytes shows it', async () => {
    const a = await open(world, world.writer, { name: 'shared' })
    a.viewer.write('seq 1 300; echo seq-done\r')
    await a.waitFor(/seq-done\n/)
    const b = await open(world, world.writer2, { id: a.viewer.terminal.id })
    const fromA = await freshScreen(a.bytes, 80, 24)
    expect(await b.serialize()).toBe(fromA)
    expect(await b.text()).toMatch(/\n1\n2\n3\n/) // the first lines, from the scrollback
    // Then both see the live stream.
    b.viewer.write('echo from-b\r')
    await a.waitFor(/\nfrom-b\n/)
    await b.waitFor(/\nfrom-b\n/)
    expect(b.viewer.terminal.viewers.map((v) => v.peer).sort()).toEqual([world.writer.id, world.writer2.id].sort())
  })

  it('[T9] a long scrollback arrives whole on attach (in several frames), and a viewer that reconnects gets the same screen', async () => {
    const a = await open(world, world.writer, { name: 'long' }, { cols: 120, rows: 30 })
    a.viewer.write('for i in $(seq 1 12000); do printf "\\033[3%dmline %05d\\033[0m\\n" $((i % 7)) $i; done; echo long-done\r')
    await a.waitFor(/\nlong-done\n/, 60_000)
    const b = await open(world, world.writer2, { id: a.viewer.terminal.id }, { cols: 120, rows: 30 })
    const expected = await freshScreen(a.bytes, 120, 30)
    await until(async () => (await b.serialize()) === expected, 'the whole screen at the second viewer')
    // More than one frame's worth of screen: the head came in `ready`, the rest as output.
    expect(b.received).toBeGreaterThan(0)
    const text = await b.text()
    // 10,000 lines of scrollback and the screen: the oldest lines are gone, the newest are there.
    expect(text).not.toContain('line 00001')
    expect(text).toContain('line 12000')
    // The member's connection drops; it reattaches and sees the same screen.
    await world.writer2.node.hangUp(multiaddr(world.compute.info.addresses[0]!))
    await b.viewer.closedPromise()
    const again = await open(world, world.writer2, { id: a.viewer.terminal.id }, { cols: 120, rows: 30 })
    await until(async () => (await again.serialize()) === expected, 'the same screen after reconnecting')
  }, 120_000)

  it('[T4] a reader watches but its input never reaches the shell, and it cannot open terminals', async () => {
    const a = await open(world, world.writer, { name: 'watched' })
    const r = await open(world, world.reader, { id: a.viewer.terminal.id })
    const refused: string[] = []
    r.viewer.on('error', (code) => refused.push(code))
    r.viewer.write('touch reader-was-here\r')
    await until(() => refused.length > 0, 'the refusal')
    expect(refused).toEqual(['PTY_READ_ONLY'])
    a.viewer.write('echo writer-typed\r')
    await r.waitFor(/\nwriter-typed\n/)
    expect(existsSync(join(world.workdir, 'reader-was-here'))).toBe(false)
    expect(await r.text()).not.toContain('reader-was-here')
    expect(await codeOf(view(world, world.reader, { name: 'mine' }))).toBe('PTY_READ_ONLY')
    r.viewer.closeTerminal()
    await until(() => refused.length > 1, 'the second refusal')
    expect(refused[1]).toBe('PTY_READ_ONLY')
    expect((await list(world, world.reader)).find((t) => t.id === a.viewer.terminal.id)?.state).toBe('running')
  })

  it('[T5] a peer that is not a member gets nothing: no list, no attach, no open', async () => {
    const [some] = await list(world, world.writer)
    expect(await codeOf(list(world, world.stranger))).toBe('PTY_NOT_A_MEMBER')
    expect(await codeOf(view(world, world.stranger, { id: some!.id }))).toBe('PTY_NOT_A_MEMBER')
    expect(await codeOf(view(world, world.stranger, { name: 'x' }))).toBe('PTY_NOT_A_MEMBER')
  })

  it('[T10] [T11] the size is the smallest over active writers; readers never change it; a writer can take it', async () => {
    const a = await open(world, world.writer, { name: 'sized' }, { cols: 100, rows: 30 })
    const id = a.viewer.terminal.id
    expect(a.viewer.terminal).toMatchObject({ cols: 100, rows: 30, sizedBy: world.writer.id })
    const r = await open(world, world.reader, { id }, { cols: 40, rows: 10 })
    r.viewer.resize(30, 8)
    const b = await open(world, world.writer2, { id }, { cols: 90, rows: 40 })
    // Attached but not typing: b does not constrain yet, and the reader never does.
    a.viewer.write('stty size\r')
    await a.waitFor(/\n30 100\n/)
    b.viewer.write('stty size\r')
    await b.waitFor(/\n30 90\n/)
    await until(() => a.viewer.terminal.cols === 90 && a.viewer.terminal.sizedBy === world.writer2.id, 'the size to follow writer2')
    expect(r.viewer.terminal).toMatchObject({ cols: 90, rows: 30 })
    // a takes the size back: only its window counts now.
    a.viewer.resize(100, 30, true)
    await until(() => r.viewer.terminal.cols === 100 && r.viewer.terminal.sizedBy === world.writer.id, 'a to take the size')
    a.viewer.write('stty size\r')
    await a.waitFor(/\n30 100\n[^]*\n30 100\n/)
    expect(r.viewer.terminal.viewers.find((v) => v.peer === world.reader.id)).toMatchObject({ writer: false, active: false })
  })

  it('[T7] [T8] a `yes` flood: a stalled viewer holds a bounded backlog, the others keep going, Ctrl-C answers, and the stalled one gets a fresh screen', async () => {
    const a = await open(world, world.writer, { name: 'flood' })
    const slow = await open(world, world.writer2, { id: a.viewer.terminal.id }, { cols: 80, rows: 24 }, true)
    slow.acking = false
    a.viewer.write('yes\r')
    await until(() => slow.received > 300 * 1024 || a.received > 4 * 1024 * 1024, 'the flood')
    const aBefore = a.received
    await until(() => a.received > aBefore + 2 * 1024 * 1024, 'the fast viewer to keep receiving while the slow one is stalled', 60_000)
    // The stalled viewer was sent no more than the high-water mark and a frame.
    expect(slow.unacked).toBeLessThan(512 * 1024)
    a.viewer.write('\x03')
    a.viewer.write('echo stopped-$((40+2))\r')
    await a.waitFor(/\nstopped-42\n/, 60_000)
    // The slow viewer catches up with a fresh screen, not the megabytes it missed.
    const missed = a.received
    slow.acking = true
    slow.ackAll()
    await slow.waitFor(/\nstopped-42\n/, 60_000)
    expect(slow.screens).toBeGreaterThan(0)
    expect(slow.received).toBeLessThan(missed / 2)
    expect(await slow.serialize()).toBe(await a.serialize())
  }, 120_000)

  it('[T7] with its only viewer stalled, the shell is paused (blocked on the pty) and runs on once the viewer acknowledges', async () => {
    const t = await open(world, world.writer, { name: 'paused' }, { cols: 80, rows: 24 }, true)
    t.acking = false
    // Long lines, so the buffers between the shell and the viewer fill after few turns of the loop.
    t.viewer.write('pad=$(printf "%0300d" 0); i=0; while true; do i=$((i+1)); echo $i > counter; echo "count $i $pad"; done\r')
    // The loop rewrites the file all the time: a read that finds it empty is taken again.
    const counter = async (): Promise<number> => {
      for (;;) {
        const text = (await readFile(join(world.workdir, 'counter'), 'utf8').catch(() => '')).trim()
        if (text !== '') return Number(text)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
    await until(() => t.unacked > 200 * 1024, 'the viewer to fall behind', 60_000)
    // Paused: the count stops moving (give the pty's and the pipe's buffers time to fill).
    let last = -1
    await until(async () => {
      const now = await counter()
      await new Promise((resolve) => setTimeout(resolve, 1500))
      const later = await counter()
      const still = now > 0 && now === later && now === last
      last = later
      return still
    }, 'the shell to block on the paused pty', 60_000)
    expect(t.unacked).toBeLessThan(512 * 1024)
    t.acking = true
    t.ackAll()
    await until(async () => (await counter()) > last + 100, 'the shell to run again', 60_000)
    t.viewer.write('\x03')
  }, 120_000)

  it('[T6] input is chunked: a 1 MB paste completes', async () => {
    const a = await open(world, world.writer, { name: 'paste' })
    a.viewer.write('stty -echo; cat > paste.txt\r')
    await new Promise((resolve) => setTimeout(resolve, 500))
    const line = 'x'.repeat(99) + '\n'
    a.viewer.write(line.repeat(10_000))
    a.viewer.write('\x04')
    a.viewer.write('stty echo; wc -c paste.txt\r')
    await a.waitFor(/1000000 paste.txt/, 60_000)
  }, 90_000)

  it('[T12] a writer closes a terminal: every process in it is killed, viewers see it exited, it leaves the list', async () => {
    const a = await open(world, world.writer, { name: 'doomed' })
    const r = await open(world, world.reader, { id: a.viewer.terminal.id })
    // One in the shell's process group, one in a session of its own: both must go.
    a.viewer.write('sleep 4242 & setsid sleep 4243 & echo started\r')
    await a.waitFor(/\nstarted\n/)
    await until(() => hostProcesses('sleep 4242').length > 0 && hostProcesses('sleep 4243').length > 0, 'the sleeps to run')
    const states: string[] = []
    r.viewer.on('info', (t) => states.push(t.state))
    a.viewer.closeTerminal()
    expect(await r.viewer.closedPromise()).toBeUndefined()
    await a.viewer.closedPromise()
    expect(states).toContain('exited')
    expect(hostProcesses('sleep 4242')).toEqual([])
    expect(hostProcesses('sleep 4243')).toEqual([])
    expect((await list(world, world.writer)).map((t) => t.id)).not.toContain(a.viewer.terminal.id)
    expect(await codeOf(view(world, world.writer, { id: a.viewer.terminal.id }))).toBe('PTY_NO_SUCH_TERMINAL')
  })

  it('[T9] [T13] a terminal outlives its viewers until the idle timeout; an exited one stays listed as exited until then', async () => {
    const a = await view(world, world.writer, { name: 'left' })
    const id = a.viewer.terminal.id
    a.viewer.write('echo still-here\r')
    await a.waitFor(/\nstill-here\n/)
    a.viewer.detach()
    a.dispose()
    const e = await view(world, world.writer, { name: 'ends' })
    e.viewer.write('exit 3\r')
    await until(() => e.viewer.terminal.state === 'exited', 'the shell to exit')
    expect(e.viewer.terminal.exit).toBe('exited with code 3')
    e.viewer.detach()
    e.dispose()
    const listed = await list(world, world.reader)
    expect(listed.find((t) => t.id === id)).toMatchObject({ state: 'running', viewers: [] })
    expect(listed.find((t) => t.id === e.viewer.terminal.id)).toMatchObject({ state: 'exited', exit: 'exited with code 3' })
    // A reattach within the idle time gets the screen back.
    const again = await view(world, world.writer2, { id })
    expect(await again.text()).toContain('still-here')
    again.viewer.detach()
    again.dispose()
    await until(async () => {
      const ids = (await list(world, world.writer)).map((t) => t.id)
      return !ids.includes(id) && !ids.includes(e.viewer.terminal.id)
    }, 'both to be closed after the idle time (6 s)', 60_000)
  }, 90_000)

  it('[T4] a member whose writer grant is still on its way when they type is not refused: the keys wait for it', async () => {
    const a = await open(world, world.writer, { name: 'newcomer' })
    const late = await member()
    try {
      await grant(world.writer, world.project, late.id, 'reader')
      await late.node.dial(multiaddr(world.compute.info.addresses[0]!))
      const v = await open(world, late, { id: a.viewer.terminal.id })
      const refused: string[] = []
      v.viewer.on('error', (code) => refused.push(code))
      v.viewer.write('touch newcomer-typed\r')
      // The invite's writer grant reaches the compute peer a moment after the first keys.
      await new Promise((resolve) => setTimeout(resolve, 800))
      await grant(world.writer, world.project, late.id, 'writer')
      await until(() => existsSync(join(world.workdir, 'newcomer-typed')), 'the newcomer\'s command')
      expect(refused).toEqual([])
    } finally {
      await late.stop()
    }
  }, 60_000)

  it('[T10] a second writer with another window size types key by key: every key reaches the shell, both see it', async () => {
    const a = await open(world, world.writer, { name: 'two-writers' }, { cols: 120, rows: 40 })
    a.viewer.write('echo first\r')
    await a.waitFor(/\nfirst\n/)
    const b = await open(world, world.writer2, { id: a.viewer.terminal.id }, { cols: 81, rows: 41 })
    for (const key of 'echo from-bo\r') {
      b.viewer.write(key)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await a.waitFor(/\nfrom-bo\n/)
    await b.waitFor(/\nfrom-bo\n/)
  }, 60_000)

  it('[T5] a writer whose grant is revoked is cut off', async () => {
    const a = await open(world, world.writer, { name: 'revoked' })
    const b = await open(world, world.writer2, { id: a.viewer.terminal.id })
    const errors: string[] = []
    b.viewer.on('error', (code) => errors.push(code))
    const membership = await world.writer.index.membership(world.project.id, Date.now())!
    const revocations = await revokeMember(world.writer.key, membership, world.writer2.id)
    world.project.grants.change((d) => { appendGrantEntries(d, revocations) })
    await b.viewer.closedPromise()
    expect(errors).toContain('PTY_NOT_A_MEMBER')
    b.viewer.write('touch revoked-was-here\r')
    a.viewer.write('echo after-revocation\r')
    await a.waitFor(/\nafter-revocation\n/)
    expect(existsSync(join(world.workdir, 'revoked-was-here'))).toBe(false)
    expect(await codeOf(view(world, world.writer2, { id: a.viewer.terminal.id }))).toBe('PTY_NOT_A_MEMBER')
  }, 60_000)
})
