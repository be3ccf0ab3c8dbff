/**
 * The terminal list pushed to members (T20): a `watch` stream gets the list at once and again after every
 * change, from the compute daemon as a child process (real sandbox, real bash), members in this process.
 */
import { appendGrantEntries } from '@quire/crdt'
import { multiaddr } from '@multiformats/multiaddr'
import { revokeMember, watchTerminals, type PtyTerminalInfo, type TerminalWatch } from '@quire/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ScreenViewer } from '../../src/testing/index.js'
import { codeOf, terminalWorld, until, view, type TerminalWorld } from './harness.js'
import type { Member } from '../daemon/peers.js'

let world: TerminalWorld
const viewers: ScreenViewer[] = []
const watches: TerminalWatch[] = []

beforeAll(async () => {
  world = await terminalWorld()
}, 180_000)

afterAll(async () => {
  for (const w of watches) w.stop()
  for (const v of viewers) { v.viewer.detach(); v.dispose() }
  await world?.stop()
})

/** Watches as `who`; `lists` holds every list received, the latest last. */
async function watch(who: Member): Promise<{ lists: PtyTerminalInfo[][]; watch: TerminalWatch; latest(): PtyTerminalInfo[] }> {
  const lists: PtyTerminalInfo[][] = []
  const w = await watchTerminals(who.node, multiaddr(world.compute.info.addresses[0]!), world.project.id, (list) => lists.push(list))
  watches.push(w)
  return { lists, watch: w, latest: () => lists[lists.length - 1] ?? [] }
}

describe('the terminal list, pushed', () => {
  it('[T20] a watching member (a reader too) is sent the list at once and after every change: opened, attached, exited, closed', async () => {
    const w = await watch(world.reader)
    expect(w.lists).toEqual([[]])
    const a = await view(world, world.writer, { name: 'watched' })
    viewers.push(a)
    const id = a.viewer.terminal.id
    await until(() => w.latest().some((t) => t.id === id && t.viewers.length === 1), 'the new terminal with its viewer in the list')
    expect(w.latest().find((t) => t.id === id)).toMatchObject({ name: 'watched', state: 'running', createdBy: world.writer.id, viewers: [{ peer: world.writer.id, writer: true }] })
    const b = await view(world, world.writer2, { id })
    viewers.push(b)
    await until(() => w.latest().find((t) => t.id === id)?.viewers.length === 2, 'the second viewer in the list')
    b.viewer.detach()
    await until(() => w.latest().find((t) => t.id === id)?.viewers.length === 1, 'the second viewer gone from the list')
    a.viewer.write('exit\r')
    await until(() => w.latest().find((t) => t.id === id)?.state === 'exited', 'the terminal listed as exited')
    a.viewer.closeTerminal()
    await until(() => !w.latest().some((t) => t.id === id), 'the closed terminal gone from the list')
    // Pushed, not polled: a handful of lists for these changes (coalesced), and the stream is still open.
    expect(w.lists.length).toBeLessThan(40)
    let ended = false
    void w.watch.closed.then(() => { ended = true })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(ended).toBe(false)
  }, 120_000)

  it('[T20] a stranger cannot watch; a watcher whose grant is revoked is cut off with PTY_NOT_A_MEMBER', async () => {
    expect(await codeOf(watch(world.stranger))).toBe('PTY_NOT_A_MEMBER')
    const w = await watch(world.writer2)
    const membership = await world.writer.index.membership(world.project.id, Date.now())!
    const revocations = await revokeMember(world.writer.key, membership, world.writer2.id)
    world.project.grants.change((d) => { appendGrantEntries(d, revocations) })
    const error = await w.watch.closed
    expect((error as { code?: string } | undefined)?.code).toBe('PTY_NOT_A_MEMBER')
  }, 60_000)

  it('[T20] stopping the watch ends the stream without an error', async () => {
    const w = await watch(world.writer)
    w.watch.stop()
    expect(await w.watch.closed).toBeUndefined()
  })
})
