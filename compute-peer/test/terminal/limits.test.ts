/**
 * A terminal's sandbox limits (T17) and the end of serving (T18), with a compute daemon whose code may run
 * 64 processes in 300 MiB.
 */
import { appendGrantEntries } from '@quire/crdt'
import { revokeMember } from '@quire/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ScreenViewer } from '../../src/testing/index.js'
import { codeOf, hostProcesses, list, terminalWorld, until, view, type TerminalWorld } from './harness.js'

let world: TerminalWorld
const viewers: ScreenViewer[] = []

beforeAll(async () => {
  world = await terminalWorld(['--kernel-processes', '64', '--kernel-memory-mb', '300'])
}, 180_000)

afterAll(async () => {
  for (const v of viewers) { v.viewer.detach(); v.dispose() }
  await world?.stop()
})

describe('terminal limits', () => {
  it('[T17] a fork bomb is held to the process limit; the compute peer and other terminals keep working; closing ends it', async () => {
    const bomb = await view(world, world.writer, { name: 'bomb' })
    viewers.push(bomb)
    bomb.viewer.write('b(){ b|b& };b\r')
    // The bomb fills its pids cgroup (64 and the pty host's 16): bash says it cannot fork.
    await bomb.waitFor(/fork|Resource temporarily unavailable/, 60_000)
    const other = await view(world, world.writer, { name: 'calm' })
    viewers.push(other)
    other.viewer.write('echo calm-$((2+2))\r')
    await other.waitFor(/\ncalm-4\n/, 60_000)
    bomb.viewer.closeTerminal()
    await bomb.viewer.closedPromise()
    await until(async () => !(await list(world, world.writer)).some((t) => t.name === 'bomb'), 'the bomb terminal to go', 60_000)
    other.viewer.write('echo still-$((3+3))\r')
    await other.waitFor(/\nstill-6\n/, 30_000)
  }, 180_000)

  it('[T17] a memory bomb is killed at the memory limit; the shell and the compute peer go on', async () => {
    const t = await view(world, world.writer, { name: 'memory' })
    viewers.push(t)
    t.viewer.write('tail /dev/zero; echo after-bomb-$?\r')
    // 137: SIGKILL from the memory cgroup's OOM killer.
    await t.waitFor(/\nafter-bomb-137\n/, 120_000)
    t.viewer.write('echo alive\r')
    await t.waitFor(/\nalive\n/)
    expect((await list(world, world.writer)).some((x) => x.name === 'memory')).toBe(true)
  }, 180_000)

  it('[T18] when the compute peer stops serving the project, its terminals are killed and their viewers cut off', async () => {
    const t = await view(world, world.writer, { name: 'last' })
    t.viewer.write('sleep 4244 & echo bg\r')
    await t.waitFor(/\nbg\n/)
    await until(() => hostProcesses('sleep 4244').length > 0, 'the sleep to run')
    const membership = await world.writer.index.membership(world.project.id, Date.now())!
    const revocations = await revokeMember(world.writer.key, membership, world.compute.info.peerId)
    world.project.grants.change((d) => { appendGrantEntries(d, revocations) })
    await t.viewer.closedPromise()
    expect(t.viewer.terminal.state).toBe('exited')
    await until(() => hostProcesses('sleep 4244').length === 0, 'the sleep to be killed')
    expect(await codeOf(list(world, world.writer))).toBe('PTY_NOT_SERVED')
    t.dispose()
  }, 60_000)
})
