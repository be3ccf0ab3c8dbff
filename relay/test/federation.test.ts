import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { loadOrCreateIdentity } from '@quire/node'
import { freePort, stopAllProcesses, waitForDoc, waitUntil } from '@quire/node/testing'
import { startRelayProcess, type RelayProcess } from '@quire/relay/testing'
import { startClient } from './client.js'
import { tempDir } from './helpers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(() => stopAllProcesses())


interface Doc { lines: string[] }

describe('relay federation', () => {
  it('[RL40] relays named in each other\'s config replicate what both host; with one killed, the project lives on through the other', async () => {
    const { dir, remove } = await tempDir('quire-relay-fed-')
    cleanups.push(remove)
    const [dirA, dirB] = [join(dir, 'a'), join(dir, 'b')]
    // Identities first, so each relay's config can name the other by peer id.
    const idA = (await loadOrCreateIdentity(dirA)).publicKey.toString()
    const idB = (await loadOrCreateIdentity(dirB)).publicKey.toString()
    const [portA, portB] = [await freePort(), await freePort()]
    const addrA = `/ip4/127.0.0.1/tcp/${portA}/p2p/${idA}`
    const addrB = `/ip4/127.0.0.1/tcp/${portB}/p2p/${idB}`

    const writer = await startClient()
    cleanups.push(() => writer.stop())
    const shared = writer.q.repo.create<Doc>({ lines: ['written through A'] })
    const onlyA = writer.q.repo.create<Doc>({ lines: ['A only'] })

    const start = (d: string, port: number, peer: string, allow: string[]): Promise<RelayProcess> =>
      startRelayProcess(['--data-dir', d, '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--peer', peer, ...allow.flatMap((u) => ['--allow', u])])
    const relayA = await start(dirA, portA, addrB, [shared.url, onlyA.url])
    cleanups.push(async () => { await relayA.proc.stop() })
    const relayB = await start(dirB, portB, addrA, [shared.url])
    cleanups.push(async () => { await relayB.proc.stop() })

    await writer.dial(relayA.tcpAddress)
    shared.change((d) => { d.lines.push('second line') })
    // B gets the shared document from A (the writer never talks to B): ask B through fresh readers (a
    // reader that was told "unavailable" remembers it) until it serves both lines.
    await waitUntil(async () => {
      const probe = await startClient()
      try {
        await probe.dial(relayB.tcpAddress)
        const h = await probe.q.repo.find<Doc>(shared.url, { signal: AbortSignal.timeout(3_000) })
        return h.doc().lines.length === 2
      } catch {
        return false
      } finally {
        await probe.stop()
      }
    }, 30_000, 'relay B to serve the shared document')
    await relayA.proc.kill('SIGKILL')

    const reader = await startClient()
    cleanups.push(() => reader.stop())
    await reader.dial(relayB.tcpAddress)
    const onB = await reader.q.repo.find<Doc>(shared.url, { signal: AbortSignal.timeout(20_000) })
    await waitForDoc(onB, (d) => d.lines.length === 2, 20_000)
    expect(onB.doc().lines).toEqual(['written through A', 'second line'])
    // What B does not host never reached it.
    await expect(reader.q.repo.find(onlyA.url, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow(/unavailable/)

    // The project keeps syncing through B: the writer moves over and both see each other's changes.
    await writer.dial(relayB.tcpAddress)
    onB.change((d) => { d.lines.push('from the reader via B') })
    await waitForDoc(shared, (d) => d.lines.includes('from the reader via B'), 20_000)
    shared.change((d) => { d.lines.push('from the writer via B') })
    await waitForDoc(onB, (d) => d.lines.includes('from the writer via B'), 20_000)
  })
})
