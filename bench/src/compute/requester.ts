/**
 * The requester side of `compute execute`: a project member in this process (libp2p node, repo with access
 * enforcement, project index), a project whose grants give a `quire-compute` child process the `compute`
 * role, and notebooks in that project. Set up as compute-peer's daemon tests do (test/daemon/peers.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DocHandle } from '@automerge/automerge-repo'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { addFile, appendGrantEntries, createNotebook, insertCell, setExecutionState, type NotebookDoc } from '@quire/crdt'
import {
  ProjectIndex, accessShareConfig, createProjectWithGrants, createQuireNode, createQuireRepo, signGrant,
  type CreatedProject, type QuireNode, type QuireRepo,
} from '@quire/node'
import type { PeerProcess } from '@quire/node/testing'
import { startComputeProcess, type ComputeProcessInfo } from '@quire/compute-peer/testing'
import { wallNow } from '../lib/proc.js'

/** A kernelspec as the notebook names it. */
export interface KernelChoice {
  readonly name: string
  readonly display_name: string
  readonly language: string
}
export const PYTHON: KernelChoice = { name: 'python3', display_name: 'Python 3', language: 'python' }
export const SAGE: KernelChoice = { name: 'sagemath', display_name: 'SageMath', language: 'sage' }

/** Times of one cell on this process's clock, ms after the queuing change. */
export interface CellTimes {
  /** The compute peer's `running` state arrived in our copy (it picked the cell up). */
  readonly runningMs: number
  readonly outputMs: number
  readonly doneMs: number
  /**
   * The compute peer's own `finishedAt - startedAt` (its Date.now(), 1 ms resolution): from picking the cell
   * up to writing `done`, inside the daemon.
   */
  readonly insideMs: number
  /** The first output, as JSON. */
  readonly output: string
}

/** A member with a project served by a compute peer process. */
export interface ComputeSetup {
  readonly compute: { proc: PeerProcess; info: ComputeProcessInfo }
  /** Adds a notebook on `kernel` to the project. */
  newNotebook(kernel: KernelChoice, path: string): Promise<DocHandle<NotebookDoc>>
  /**
   * Adds a code cell, lets it reach the compute peer, queues it, and resolves with the times (this
   * process's clock, ms) from the queuing change to the first output and to `done` in our copy.
   */
  run(notebook: DocHandle<NotebookDoc>, source: string, timeoutMs?: number): Promise<CellTimes>
  stop(): Promise<void>
}

export async function startComputeSetup(options: { maxKernels?: number } = {}): Promise<ComputeSetup> {
  const key: PrivateKey = await generateKeyPair('Ed25519')
  const node: QuireNode = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true, privateKey: key })
  const index = new ProjectIndex()
  const q: QuireRepo = await createQuireRepo({ libp2p: node, shareConfig: accessShareConfig({ index }) })
  await index.attach(q.repo)
  const id = node.peerId.toString()
  const dataDir = await mkdtemp(join(tmpdir(), 'quire-bench-compute-'))
  let compute: ComputeSetup['compute'] | undefined
  const stop = async () => {
    await compute?.proc.stop(30_000).catch(() => undefined)
    index.stop()
    await q.stop()
    await node.stop()
    await rm(dataDir, { recursive: true, force: true })
  }
  try {
    const project: CreatedProject = await createProjectWithGrants(q.repo, { name: 'Bench', owner: key, index })
    compute = await startComputeProcess(['--data-dir', dataDir, '--project', `${project.id}@${id}`, '--max-kernels', String(options.maxKernels ?? 4)])
    const g = await signGrant(key, { project: project.id, subject: compute.info.peerId, role: 'compute' })
    project.grants.change((d) => { appendGrantEntries(d, [g]) })
    await index.settled()
    await node.dial(multiaddr(compute.info.addresses[0]!))
    return {
      compute,
      async newNotebook(kernel, path) {
        const nb = q.repo.create<NotebookDoc>(createNotebook({ kernelspec: kernel }))
        project.project.change((d) => { addFile(d, { path, kind: 'notebook', url: nb.url }) })
        await index.settled()
        return nb
      },
      async run(notebook, source, timeoutMs = 60_000) {
        let cellId = ''
        notebook.change((d) => { cellId = insertCell(d, d.cellOrder.length, { cellType: 'code', source }) })
        // The cell itself reaches the compute peer before it is queued, as when a person types a cell and
        // then runs it: the measurement starts at the queuing change.
        await new Promise((r) => setTimeout(r, 30))
        return new Promise((resolve, reject) => {
          let queuedAt = 0
          let outputAt: number | undefined
          let runningAt: number | undefined
          let output = ''
          // Raw field reads (not readNotebook, which validates every cell) keep the observer's own cost
          // small and independent of the notebook's length.
          const check = () => {
            const cell = notebook.doc().cells[cellId]
            // Strings in the document may be Automerge ImmutableStrings: compare their text.
            if (cell === undefined || String(cell.cellType) !== 'code' || !('outputs' in cell)) return
            if (outputAt === undefined && cell.outputs.length > 0) {
              outputAt = wallNow()
              output = JSON.stringify(cell.outputs[0])
            }
            const status = String(cell.execution['status'] ?? '')
            if (runningAt === undefined && status !== 'queued') runningAt = wallNow()
            if (status === 'done' || status === 'error') {
              const doneAt = wallNow()
              finish()
              if (status === 'error') reject(new Error(`cell failed: ${JSON.stringify(cell.outputs).slice(0, 500)}`))
              else resolve({
                runningMs: (runningAt ?? doneAt) - queuedAt, outputMs: (outputAt ?? doneAt) - queuedAt, doneMs: doneAt - queuedAt,
                insideMs: Number(cell.execution['finishedAt']) - Number(cell.execution['startedAt']), output,
              })
            }
          }
          const timer = setTimeout(() => { finish(); reject(new Error(`no result for ${JSON.stringify(source)} within ${timeoutMs} ms`)) }, timeoutMs)
          const finish = () => { clearTimeout(timer); notebook.off('change', check) }
          queuedAt = wallNow()
          notebook.on('change', check)
          notebook.change((d) => setExecutionState(d, cellId, { status: 'queued', requestedBy: id, requestedAt: Date.now() }))
        })
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
