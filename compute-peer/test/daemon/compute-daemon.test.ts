/**
 * The `quire-compute` daemon as a child process (built dist/) with real sandboxed ipykernels, and member
 * peers in this process talking to it over loopback libp2p. One daemon and one kernel serve the file.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DocHandle } from '@automerge/automerge-repo'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { addFile, createNotebook, insertCell, readKernel, readNotebook, setExecutionState, type CodeCellRead, type NotebookDoc, type OutputBlobRef } from '@quire/crdt'
import { createProjectWithGrants, type CreatedProject } from '@quire/node'
import { stopAllProcesses, waitUntil, type PeerProcess } from '@quire/node/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startComputeProcess } from '../../src/testing/index.js'
import { grant, member, type Member } from './peers.js'

let writer: Member
let other: Member
let project: CreatedProject
let notebook: DocHandle<NotebookDoc>
let compute: { proc: PeerProcess; info: { peerId: string; addresses: string[]; kernels: string[] } }
let dataDir: string

const cell = (handle: DocHandle<NotebookDoc>, id: string): CodeCellRead | undefined => {
  const c = readNotebook(handle.doc()).cells.find((x) => x.id === id)
  return c?.cellType === 'code' ? c : undefined
}

function addCell(source: string): string {
  let id = ''
  notebook.change((d) => { id = insertCell(d, readNotebook(d).cells.length, { cellType: 'code', source }) })
  return id
}

function queue(id: string): void {
  notebook.change((d) => setExecutionState(d, id, { status: 'queued', requestedBy: writer.id, requestedAt: Date.now() }))
}

const computeAddress = (): ReturnType<typeof multiaddr> => multiaddr(compute.info.addresses[0]!)

beforeAll(async () => {
  writer = await member()
  other = await member()
  project = await createProjectWithGrants(writer.q.repo, { name: 'Analysis', owner: writer.key, index: writer.index })
  notebook = writer.q.repo.create<NotebookDoc>(createNotebook({ kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } }))
  project.project.change((d) => { addFile(d, { path: 'analysis.ipynb', kind: 'notebook', url: notebook.url }) })
  await writer.index.settled()
  dataDir = await mkdtemp(join(tmpdir(), 'quire-compute-test-'))
  compute = await startComputeProcess(['--data-dir', dataDir, '--project', `${project.id}@${writer.id}`, '--max-kernels', '2'])
  await grant(writer, project, compute.info.peerId, 'compute')
  await grant(writer, project, other.id, 'reader')
  await writer.node.dial(computeAddress())
}, 120_000)

afterAll(async () => {
  await stopAllProcesses()
  await writer?.stop()
  await other?.stop()
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
})

describe('quire compute, end to end', () => {
  it('runs a cell a writer queued and the writer sees its stream and result', async () => {
    expect(compute.info.kernels).toContain('python3')
    const id = addCell("print('hi'); 1+1")
    queue(id)
    await waitUntil(() => cell(notebook, id)?.execution.status === 'done', 60_000, 'the cell to run')
    const done = cell(notebook, id)!
    expect(done.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'hi\n' },
      { output_type: 'execute_result', data: { 'text/plain': '2' }, metadata: {}, execution_count: 1 },
    ])
    expect(done.executionCount).toBe(1)
    expect(done.execution.startedAt).toBeGreaterThanOrEqual(done.execution.requestedAt!)
    const kernel = readKernel(notebook.doc())
    expect(kernel.state).toMatchObject({ peer: compute.info.peerId, spec: 'python3' })
    expect(kernel.offer?.kernels.map((k) => k.name)).toContain('python3')
    expect(kernel.offer?.network).toBe(false)
  })

  it('a second member, connected only to the compute peer, sees the outputs', async () => {
    // As a new member does with the peer it joined through: trusted to send the project until its grants arrive.
    await other.index.track(project.id, { owner: writer.id, provisionalReaders: [compute.info.peerId] })
    await other.node.dial(computeAddress())
    // As the web app does: the project first, then the notebook it lists.
    await waitUntil(() => other.q.repo.peers.includes(compute.info.peerId as never), 10_000, 'the sync link')
    const theirProject = await other.q.repo.find(project.project.url, { allowableStates: ['ready', 'unavailable', 'requesting'] })
    await theirProject.whenReady()
    await waitUntil(() => other.index.projectsOf(notebook.documentId).length > 0, 10_000, 'the project at the second member')
    const theirs = await other.q.repo.find<NotebookDoc>(notebook.url)
    const first = readNotebook(notebook.doc()).cells[0]!.id
    await waitUntil(() => cell(theirs, first)?.execution.status === 'done', 20_000, 'the outputs at the second member')
    expect(cell(theirs, first)!.outputs).toEqual(cell(notebook, first)!.outputs)
  })

  it('[A29] [A32] a cell a reader queues never runs: the compute peer drops the reader\'s changes', async () => {
    // `other` is a reader connected to the compute peer (previous test). It edits its own copy anyway.
    const theirs = await other.q.repo.find<NotebookDoc>(notebook.url)
    let id = ''
    theirs.change((d) => { id = insertCell(d, readNotebook(d).cells.length, { cellType: 'code', source: "print('reader ran code')" }) })
    theirs.change((d) => setExecutionState(d, id, { status: 'queued', requestedBy: other.id, requestedAt: Date.now() }))
    // A writer's cell queued after it runs, so the compute peer is up and reading this notebook meanwhile.
    const after = addCell("print('writer')")
    queue(after)
    await waitUntil(() => cell(notebook, after)?.execution.status === 'done', 30_000, "the writer's cell")
    await new Promise((r) => setTimeout(r, 1000))
    expect(cell(theirs, id)?.execution.status).toBe('queued')
    expect(cell(theirs, id)?.outputs).toEqual([])
    // Nor did the reader's cell travel on to the writer through the compute peer.
    expect(cell(notebook, id)).toBeUndefined()
  })

  it('a long cell finishes while its requester is away, and the output is there on reconnect', async () => {
    const id = addCell("import time; time.sleep(3); print('done')")
    queue(id)
    await waitUntil(() => cell(notebook, id)?.execution.status === 'running', 30_000, 'the cell to start')
    await writer.node.hangUp(peerIdFromString(compute.info.peerId))
    await new Promise((r) => setTimeout(r, 4000))
    // Nothing reached us while away: the cell still shows running here.
    expect(cell(notebook, id)!.execution.status).toBe('running')
    await writer.node.dial(computeAddress())
    await waitUntil(() => cell(notebook, id)?.execution.status === 'done', 20_000, 'the result after reconnecting')
    expect(cell(notebook, id)!.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'done\n' }])
  })

  it('a matplotlib figure becomes a PNG blob, fetchable over the blob protocol', async () => {
    const id = addCell('import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()')
    queue(id)
    await waitUntil(() => ['done', 'error'].includes(cell(notebook, id)?.execution.status ?? ''), 90_000, 'the plot')
    const outputs = cell(notebook, id)!.outputs
    const display = outputs.find((o) => o.output_type === 'display_data')
    expect(display, JSON.stringify(outputs).slice(0, 2000)).toBeDefined()
    const ref = (display as { data: Record<string, unknown> }).data['image/png'] as OutputBlobRef
    expect(ref).toMatchObject({ mime: 'image/png' })
    const bytes = await writer.blobs.fetch(peerIdFromString(compute.info.peerId), ref.blob)
    expect(bytes.byteLength).toBe(ref.size)
    expect(Buffer.from(bytes.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a')
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(ref.blob)
    // The figure is in the document by reference only: no base64 PNG in it.
    expect(JSON.stringify(outputs)).not.toContain('iVBORw0KGgo')
  })

  it('stops cleanly on SIGTERM', async () => {
    const exit = await compute.proc.stop(15_000)
    expect(exit).toEqual({ code: 0, signal: null })
  })

  it('after a crash, marks the cell it was running as failed and runs what is queued', async () => {
    const args = ['--data-dir', dataDir, '--project', `${project.id}@${writer.id}`]
    const restarted = await startComputeProcess(args)
    // The identity and the documents are in the data directory.
    expect(restarted.info.peerId).toBe(compute.info.peerId)
    compute = restarted
    await writer.node.dial(computeAddress())
    const long = addCell('import time; time.sleep(60)')
    queue(long)
    await waitUntil(() => cell(notebook, long)?.execution.status === 'running', 30_000, 'the long cell to start')
    await compute.proc.kill('SIGKILL')
    const next = addCell('print(40 + 2)')
    queue(next)
    compute = await startComputeProcess(args)
    await writer.node.dial(computeAddress())
    await waitUntil(() => cell(notebook, next)?.execution.status === 'done', 60_000, 'the queued cell after the restart')
    const seen = JSON.stringify({ long: cell(notebook, long), next: cell(notebook, next), kernel: readKernel(notebook.doc()).state })
    expect(cell(notebook, next)!.outputs, seen).toEqual([{ output_type: 'stream', name: 'stdout', text: '42\n' }])
    expect(cell(notebook, long)!.execution.status, seen).toBe('error')
    expect(cell(notebook, long)!.outputs, seen).toEqual([{ output_type: 'error', ename: 'ComputePeerRestarted', evalue: 'compute peer restarted before the cell finished; run it again', traceback: [] }])
    expect(compute.info.kernels).toContain('python3')
  })
})
