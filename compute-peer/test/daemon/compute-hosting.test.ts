/**
 * A compute peer learns of projects at run time (A34): an admin asks it over `/quire/host/1.0.0`, through
 * the relay it bootstraps from (a `/p2p-circuit` address, as a browser would), and it serves the project
 * only when the grants give it the compute role and the requester is an admin; it keeps nothing of a
 * refused request, and serves an accepted project again after a restart without being asked.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DocHandle } from '@automerge/automerge-repo'
import { multiaddr } from '@multiformats/multiaddr'
import { ClassicLevel } from 'classic-level'
import { addFile, createNotebook, editSource, insertCell, readNotebook, setExecutionState, type CodeCellRead, type NotebookDoc } from '@quire/crdt'
import { createProjectWithGrants, hostingRequestFor, requestHosting, type CreatedProject } from '@quire/node'
import { startProcess, stopAllProcesses, waitUntil, type PeerProcess } from '@quire/node/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { startComputeProcess } from '../../src/testing/index.js'
import { grant, member, type Member } from './peers.js'

const relayCli = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'relay', 'dist', 'cli.js')

const members: Member[] = []
const dirs: string[] = []

afterAll(async () => {
  await stopAllProcesses()
  for (const m of members) await m.stop()
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

interface NotebookProject { project: CreatedProject; notebook: DocHandle<NotebookDoc>; cell: string }

async function notebookProject(owner: Member, name: string, source: string): Promise<NotebookProject> {
  const project = await createProjectWithGrants(owner.q.repo, { name, owner: owner.key, index: owner.index })
  const notebook = owner.q.repo.create<NotebookDoc>(createNotebook({ kernelspec: { name: 'python3', display_name: 'Python 3' } }))
  let cell = ''
  notebook.change((d) => { cell = insertCell(d, 0, { cellType: 'code', source }) })
  project.project.change((d) => { addFile(d, { path: 'n.ipynb', kind: 'notebook', url: notebook.url }) })
  await owner.index.settled()
  return { project, notebook, cell }
}

function queue(owner: Member, p: NotebookProject): void {
  p.notebook.change((d) => setExecutionState(d, p.cell, { status: 'queued', requestedBy: owner.id, requestedAt: Date.now() }))
}

function cellOf(p: NotebookProject): CodeCellRead | undefined {
  return readNotebook(p.notebook.doc()).cells.find((c) => c.id === p.cell) as CodeCellRead | undefined
}

async function refusal(promise: Promise<void>): Promise<string> {
  try {
    await promise
    return 'accepted'
  } catch (err) {
    return String((err as { code?: unknown }).code)
  }
}

describe('quire compute learns of projects from admins', () => {
  it('[A34] serves a project an admin asks it to, through the relay, refuses the others, and remembers it', async () => {
    const owner = await member()
    const stranger = await member()
    members.push(owner, stranger)
    const granted = await notebookProject(owner, 'Granted', 'print(6 * 7)')
    const ungranted = await notebookProject(owner, 'Ungranted', 'print(1)')
    const relayDir = await mkdtemp(join(tmpdir(), 'quire-compute-hosting-relay-'))
    const computeDir = await mkdtemp(join(tmpdir(), 'quire-compute-hosting-'))
    dirs.push(relayDir, computeDir)
    const relay = await startProcess(relayCli, {
      name: 'relay',
      args: ['--listen', '/ip4/127.0.0.1/tcp/0', '--allow-loopback', '--data-dir', relayDir,
        '--allow-project', granted.project.id, '--allow-project', ungranted.project.id],
    })
    const relayAddress = relay.info.addresses[0]!
    await grant(owner, granted.project, relay.info.peerId, 'relay')
    await owner.node.dial(multiaddr(relayAddress))
    await stranger.node.dial(multiaddr(relayAddress))

    let compute: PeerProcess = (await startComputeProcess(['--data-dir', computeDir, '--bootstrap', relayAddress])).proc
    const computeId = compute.info.peerId
    // The address a browser dials: only the relay's reservation makes the compute peer reachable by it.
    expect((compute.info as unknown as { addresses: string[] }).addresses.some((a) => a.includes('/p2p-circuit'))).toBe(true)
    const viaRelay = multiaddr(`${relayAddress}/p2p-circuit/p2p/${computeId}`)
    await grant(owner, granted.project, computeId, 'compute')
    await grant(owner, granted.project, stranger.id, 'writer')

    // A writer is not an admin; a project that grants it nothing is refused; neither is kept.
    expect(await refusal(requestHosting(stranger.node, viaRelay, await hostingRequestFor(owner.q.repo, granted.project.id)))).toBe('NOT_ADMIN')
    expect(await refusal(requestHosting(owner.node, viaRelay, await hostingRequestFor(owner.q.repo, ungranted.project.id)))).toBe('HOST_NOT_GRANTED')
    expect(await refusal(requestHosting(owner.node, viaRelay, await hostingRequestFor(owner.q.repo, granted.project.id)))).toBe('accepted')

    queue(owner, granted)
    queue(owner, ungranted)
    await waitUntil(() => cellOf(granted)?.execution.status === 'done', 60_000, 'the granted project\'s cell to run')
    expect(cellOf(granted)!.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: '42\n' }])
    expect(cellOf(ungranted)?.execution.status).toBe('queued')

    // Nothing of the refused project is in the compute peer's database; the accepted one is remembered.
    await compute.stop()
    const db = new ClassicLevel<string, string>(join(computeDir, 'db'))
    const keys: string[] = []
    for await (const key of db.keys()) keys.push(key)
    await db.close()
    expect(keys.filter((k) => k.includes(ungranted.project.id) || k.includes(ungranted.notebook.documentId))).toEqual([])
    expect(keys.some((k) => k.includes(granted.project.id))).toBe(true)

    // Restarted on the same data directory, it serves the project again without being asked.
    compute = (await startComputeProcess(['--data-dir', computeDir, '--bootstrap', relayAddress])).proc
    expect(compute.info.peerId).toBe(computeId)
    granted.notebook.change((d) => { editSource(d, granted.cell, 'print(6 * '.length, 1, '9') })
    queue(owner, granted)
    await waitUntil(() => cellOf(granted)?.execution.status === 'done' && JSON.stringify(cellOf(granted)!.outputs).includes('54'), 60_000, 'the cell to run after a restart')
    expect(cellOf(ungranted)?.execution.status).toBe('queued')
  })
})
