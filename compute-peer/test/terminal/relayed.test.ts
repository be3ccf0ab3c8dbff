/**
 * A terminal through a relay (T16): the compute peer listens only through its relay reservation, and the
 * writer reaches it over a circuit-relayed (limited) connection.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { createProjectWithGrants, listTerminals, openTerminal, PtyProtocolError } from '@quire/node'
import { startProcess, stopAllProcesses } from '@quire/node/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { startComputeProcess, ScreenViewer } from '../../src/testing/index.js'
import { grant, member, type Member } from '../daemon/peers.js'

const relayCli = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'relay', 'dist', 'cli.js')

let writer: Member | undefined
const dirs: string[] = []

afterAll(async () => {
  await stopAllProcesses()
  await writer?.stop()
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

describe('a terminal behind a relay', () => {
  it('[T16] a writer opens and uses a terminal over a circuit-relayed connection', async () => {
    writer = await member()
    const project = await createProjectWithGrants(writer.q.repo, { name: 'Relayed terminal', owner: writer.key, index: writer.index })
    const relayDir = await mkdtemp(join(tmpdir(), 'quire-pty-relay-'))
    const computeDir = await mkdtemp(join(tmpdir(), 'quire-pty-relayed-'))
    dirs.push(relayDir, computeDir)
    const relay = await startProcess(relayCli, {
      name: 'relay',
      args: ['--listen', '/ip4/127.0.0.1/tcp/0', '--allow-loopback', '--data-dir', relayDir, '--allow-project', project.id],
    })
    const relayAddress = relay.info.addresses[0]!
    await grant(writer, project, relay.info.peerId, 'relay')
    await writer.node.dial(multiaddr(relayAddress))
    const compute = await startComputeProcess(['--data-dir', computeDir, '--bootstrap', relayAddress, '--project', project.id])
    await grant(writer, project, compute.info.peerId, 'compute')
    const circuit = compute.info.addresses.find((a) => a.includes('/p2p-circuit/'))
    expect(circuit).toBeDefined()
    const target = multiaddr(circuit!)
    const deadline = Date.now() + 60_000
    for (;;) {
      try {
        await listTerminals(writer.node, target, project.id)
        break
      } catch (err) {
        if (!(err instanceof PtyProtocolError) || err.code !== 'PTY_NOT_SERVED' || Date.now() > deadline) throw err
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    }
    const t = new ScreenViewer(await openTerminal(writer.node, target, { project: project.id, name: 'relayed', cols: 80, rows: 24 }))
    t.viewer.write('echo relayed-$((20+22))\r')
    await t.waitFor(/\nrelayed-42\n/)
    const connections = writer.node.getConnections().filter((c) => c.remotePeer.toString() === compute.info.peerId)
    expect(connections.length).toBeGreaterThan(0)
    expect(connections.every((c) => c.limits !== undefined || c.remoteAddr.toString().includes('/p2p-circuit'))).toBe(true)
    t.viewer.detach()
    t.dispose()
  }, 180_000)
})
