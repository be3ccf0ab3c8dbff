/**
 * The usual topology: the writer and the compute peer each know only a relay. The compute daemon bootstraps
 * from the relay, gets the project through it, and the writer gets the results through it.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DocHandle } from '@automerge/automerge-repo'
import { multiaddr } from '@multiformats/multiaddr'
import { addFile, createNotebook, insertCell, readNotebook, setExecutionState, type CodeCellRead, type NotebookDoc } from '@quire/crdt'
import { createProjectWithGrants } from '@quire/node'
import { startProcess, stopAllProcesses, waitUntil } from '@quire/node/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { startComputeProcess } from '../../src/testing/index.js'
import { grant, member, type Member } from './peers.js'

// The relay is started as a process from its built command, as the bootstrap package does: compute-peer
// may not import the relay package.
const relayCli = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'relay', 'dist', 'cli.js')

let writer: Member | undefined
const dirs: string[] = []

afterAll(async () => {
  await stopAllProcesses()
  await writer?.stop()
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

describe('quire compute behind a relay', () => {
  it('runs a cell for a writer it never connects to directly', async () => {
    writer = await member()
    const project = await createProjectWithGrants(writer.q.repo, { name: 'Relayed', owner: writer.key, index: writer.index })
    const notebook: DocHandle<NotebookDoc> = writer.q.repo.create<NotebookDoc>(createNotebook({ kernelspec: { name: 'python3', display_name: 'Python 3' } }))
    let id = ''
    notebook.change((d) => { id = insertCell(d, 0, { cellType: 'code', source: 'print(6 * 7)' }) })
    project.project.change((d) => { addFile(d, { path: 'n.ipynb', kind: 'notebook', url: notebook.url }) })
    await writer.index.settled()
    const relayDir = await mkdtemp(join(tmpdir(), 'quire-compute-relay-'))
    const computeDir = await mkdtemp(join(tmpdir(), 'quire-compute-relayed-'))
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
    notebook.change((d) => setExecutionState(d, id, { status: 'queued', requestedBy: writer!.id, requestedAt: Date.now() }))
    const cell = (): CodeCellRead | undefined => readNotebook(notebook.doc()).cells.find((c) => c.id === id) as CodeCellRead | undefined
    await waitUntil(() => cell()?.execution.status === 'done', 60_000, 'the cell to run through the relay')
    expect(cell()!.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '42\n' }])
    expect(writer.node.getConnections().map((c) => c.remotePeer.toString())).not.toContain(compute.info.peerId)
  })
})
