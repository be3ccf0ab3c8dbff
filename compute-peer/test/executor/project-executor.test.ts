import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repo, type DocHandle } from '@automerge/automerge-repo'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { MemoryLevel } from 'memory-level'
import { addFile, appendGrantEntries, createNotebook, deleteFile, insertCell, readNotebook, setExecutionState, setSettings, type CodeCellRead, type NotebookDoc } from '@quire/crdt'
import { BlobStore, ProjectIndex, createProjectWithGrants, peerIdOfKey, signGrant, type CreatedProject, type Role } from '@quire/node'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KernelSlots } from '../../src/executor/kernel-slots.js'
import { ProjectExecutor } from '../../src/executor/project-executor.js'
import type { ProjectServiceContext } from '../../src/runtime/service.js'
import { FakeLauncher } from './fake-kernel.js'
import { until } from './harness.js'

interface World {
  repo: Repo
  index: ProjectIndex
  owner: PrivateKey
  compute: string
  project: CreatedProject
  launcher: FakeLauncher
  executor: ProjectExecutor
  logs: string[]
  workRoot: string
}

let w: World

beforeEach(async () => {
  const repo = new Repo({ network: [] })
  const index = new ProjectIndex()
  await index.attach(repo)
  const owner = await generateKeyPair('Ed25519')
  const compute = peerIdOfKey(await generateKeyPair('Ed25519'))
  const project = await createProjectWithGrants(repo, { name: 'P', owner, index })
  const launcher = new FakeLauncher()
  const logs: string[] = []
  const workRoot = await mkdtemp(join(tmpdir(), 'quire-project-executor-'))
  const executor = new ProjectExecutor({
    repo, index, project: project.id, workRoot, networkAllowed: false, checkMs: 50,
    env: { peerId: compute, launcher, slots: new KernelSlots(2), blobs: new BlobStore(new MemoryLevel<string, Uint8Array>()), idleTimeoutMs: 60_000, flushMs: 20, writerGraceMs: 200, log: (l) => logs.push(l) },
  })
  w = { repo, index, owner, compute, project, launcher, executor, logs, workRoot }
})

afterEach(async () => {
  await w.executor.stop()
  w.index.stop()
  await w.repo.shutdown()
  await rm(w.workRoot, { recursive: true, force: true })
})

async function grant(subject: string, role: Role): Promise<void> {
  const g = await signGrant(w.owner, { project: w.project.id, subject, role })
  w.project.grants.change((d) => { appendGrantEntries(d, [g]) })
  await w.index.settled()
}

function addNotebook(path: string, source: string, requestedBy: string): { handle: DocHandle<NotebookDoc>; cell: string; file: string } {
  const handle = w.repo.create<NotebookDoc>(createNotebook())
  let cell = ''
  handle.change((d) => {
    cell = insertCell(d, 0, { cellType: 'code', source })
    setExecutionState(d, cell, { status: 'queued', requestedBy, requestedAt: Date.now() })
  })
  let file = ''
  w.project.project.change((d) => { file = addFile(d, { path, kind: 'notebook', url: handle.url }) })
  return { handle, cell, file }
}

const codeCell = (handle: DocHandle<NotebookDoc>, id: string): CodeCellRead => readNotebook(handle.doc()).cells.find((c) => c.id === id) as CodeCellRead

describe('a project on this compute peer', () => {
  it('is not served until its grants give this peer the compute role, and says which peer id to grant', async () => {
    const ownerId = peerIdOfKey(w.owner)
    const nb = addNotebook('a.ipynb', 'print a', ownerId)
    await w.executor.start()
    await until(() => w.executor.refusal === 'NOT_GRANTED')
    expect(w.logs.some((l) => l.includes('compute role') && l.includes(w.compute))).toBe(true)
    await new Promise((r) => setTimeout(r, 200))
    expect(codeCell(nb.handle, nb.cell).execution.status).toBe('queued')
    await grant(w.compute, 'compute')
    await until(() => codeCell(nb.handle, nb.cell).execution.status === 'done', 5000, 'the cell after the grant')
    expect(w.executor.serving).toBe(true)
  })

  it('finds notebooks from the file tree as they come and go, and runs cells only for writers', async () => {
    const writer = peerIdOfKey(await generateKeyPair('Ed25519'))
    const reader = peerIdOfKey(await generateKeyPair('Ed25519'))
    await grant(w.compute, 'compute')
    await grant(writer, 'writer')
    await grant(reader, 'reader')
    await w.executor.start()
    await until(() => w.executor.serving)
    const a = addNotebook('a.ipynb', 'print a', writer)
    const b = addNotebook('dir/b.ipynb', 'print b', reader)
    await until(() => codeCell(a.handle, a.cell).execution.status === 'done', 5000, 'the writer cell')
    await until(() => codeCell(b.handle, b.cell).execution.status === 'error', 5000, 'the reader cell refused')
    expect(codeCell(b.handle, b.cell).outputs[0]).toMatchObject({ ename: 'NotAllowed' })
    expect(w.executor.notebooks.size).toBe(2)
    w.project.project.change((d) => deleteFile(d, b.file))
    await until(() => w.executor.notebooks.size === 1, 5000, 'the deleted notebook to be dropped')
  })

  it('stops serving when the project names another compute peer', async () => {
    const ownerId = peerIdOfKey(w.owner)
    await grant(w.compute, 'compute')
    await w.executor.start()
    const nb = addNotebook('a.ipynb', 'print a', ownerId)
    await until(() => codeCell(nb.handle, nb.cell).execution.status === 'done')
    const other = peerIdOfKey(await generateKeyPair('Ed25519'))
    w.project.project.change((d) => setSettings(d, { computePeer: other }))
    await until(() => w.executor.refusal === 'OTHER_COMPUTE_PEER')
    expect(w.executor.notebooks.size).toBe(0)
    expect(w.launcher.alive).toHaveLength(0)
    w.project.project.change((d) => setSettings(d, { computePeer: w.compute }))
    await until(() => w.executor.serving && w.executor.notebooks.size === 1)
  })

  it('[R1] starts its services when serving starts, once, and aborts then stops them when serving stops', async () => {
    const events: string[] = []
    let signal: AbortSignal | undefined
    let context: ProjectServiceContext | undefined
    const executor = new ProjectExecutor({
      repo: w.repo, index: w.index, project: w.project.id, workRoot: w.workRoot, networkAllowed: false, checkMs: 50,
      env: { peerId: w.compute, launcher: w.launcher, slots: new KernelSlots(2), blobs: new BlobStore(new MemoryLevel<string, Uint8Array>()), idleTimeoutMs: 60_000, log: () => {} },
      services: [
        async (ctx) => {
          events.push(`start ${ctx.workdir === executor.workdir} ${ctx.stateDir('probe').startsWith(join(w.workRoot, '..', 'services', 'probe'))}`)
          signal = ctx.signal
          context = ctx
          return { name: 'probe', health: () => ({ state: 'ok' }), stop: async () => void events.push(`stop aborted=${ctx.signal.aborted}`) }
        },
        async () => { throw new Error('this one cannot start') },
      ],
    })
    try {
      await executor.start()
      await new Promise((r) => setTimeout(r, 200))
      expect(events).toEqual([])
      await grant(w.compute, 'compute')
      await until(() => executor.serving && executor.services.length === 1, 5000, 'the service')
      await new Promise((r) => setTimeout(r, 200))
      expect(events).toEqual(['start true true'])
      expect(signal?.aborted).toBe(false)
      // What services show readers is for the project's people, not for the relays that hold its documents.
      const [reader, relay] = [peerIdOfKey(await generateKeyPair('Ed25519')), peerIdOfKey(await generateKeyPair('Ed25519'))]
      await grant(reader, 'reader')
      await grant(relay, 'relay')
      expect(await context!.canRead(reader)).toBe(true)
      expect(await context!.canRead(peerIdOfKey(w.owner))).toBe(true)
      expect(await context!.canRead(relay)).toBe(false)
      expect(await context!.canRead(w.compute)).toBe(false)
      expect(await context!.isWriter(reader)).toBe(false)
      w.project.project.change((d) => setSettings(d, { computePeer: peerIdOfKey(w.owner) }))
      await until(() => executor.refusal === 'OTHER_COMPUTE_PEER' && events.length === 2, 5000, 'the service stopped')
      expect(events[1]).toBe('stop aborted=true')
      expect(executor.services).toHaveLength(0)
    } finally {
      await executor.stop()
    }
  })
})
