/**
 * A project member in a child process, for tests that must measure a member's own memory while it syncs a
 * notebook the compute peer runs: owner of a fresh project with one notebook, it queues cells and reports
 * their state (sizes, not the outputs themselves: a cell's output may be megabytes). Start it with
 * `startNotebookMember()`; it answers the commands of {@link NotebookMemberCommands}.
 */
// @quire/node first: it loads the polyfills libp2p needs on Node 20.
import { ProjectIndex, accessShareConfig, readWorkspaceStatus, createProjectWithGrants, createQuireNode, createQuireRepo, loadOrCreateIdentity, signGrant, type CreatedProject } from '@quire/node'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'
import {
  addFile,
  appendGrantEntries,
  createNotebook,
  createText,
  insertCell,
  readProject,
  readText,
  readNotebook,
  setExecutionState,
  setSettings,
  setText,
  type NotebookDoc,
  type TextDoc,
} from '@quire/crdt'
import { serveCommands } from '@quire/node/testing'
import { requestSnapshots, type SnapshotRequest } from '../snapshots/index.js'

/** The commands a notebook member answers, with their params and results. */
export interface NotebookMemberCommands {
  [command: string]: { params: unknown; result: unknown }
  /** Grants `peerId` the compute role on the project. */
  grantCompute: { params: { peerId: string }; result: null }
  dial: { params: { address: string }; result: null }
  /** Names the project's compute peer in its settings (null: any compute peer serves it). */
  setComputePeer: { params: { peerId: string | null }; result: null }
  /** Adds a code cell and queues it; returns its id. */
  runCell: { params: { source: string }; result: string }
  /** A cell's execution status and outputs, each output's text cut to `keep` characters (default 2000). */
  cell: { params: { id: string; keep?: number }; result: MemberCellReport }
  /** Adds a text file to the project. */
  addText: { params: { path: string; content: string }; result: null }
  /** The project's files: path, kind and who made the entry. */
  files: { params: undefined; result: Array<{ path: string; kind: string; createdBy: string }> }
  /** A text file's content, or null when there is no text file at `path`. */
  readText: { params: { path: string }; result: string | null }
  /** Replaces a text file's content (a null result: there is no text file at `path`). */
  setText: { params: { path: string; content: string }; result: boolean }
  /** Sends a `/quire/snapshot/1.0.0` request about the project to the peer at `address`; answers its fields or its code. */
  snapshots: { params: { address: string; request: Omit<SnapshotRequest, 'project'> }; result: Record<string, unknown> }
  /** The last workspace status (W40) a peer broadcast on the project, with its sender. */
  workspaceStatus: { params: undefined; result: { senderId: string; state: string; pending: number; problemCount: number } | null }
  /** This process's memory after a garbage collection, bytes. */
  memory: { params: undefined; result: { rss: number; heapUsed: number } }
}

/** What the `cell` command reports. */
export interface MemberCellReport {
  readonly status: string
  readonly outputs: ReadonlyArray<{ readonly type: string; readonly name?: string; readonly length: number; readonly head: string; readonly tail: string }>
}

async function main(): Promise<void> {
  const keyDir = mkdtempSync(join(tmpdir(), 'quire-member-'))
  const key = await loadOrCreateIdentity(keyDir)
  rmSync(keyDir, { recursive: true, force: true })
  const node = await createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true, privateKey: key })
  const index = new ProjectIndex()
  const q = await createQuireRepo({ libp2p: node, shareConfig: accessShareConfig({ index }) })
  await index.attach(q.repo)
  const project: CreatedProject = await createProjectWithGrants(q.repo, { name: 'Member', owner: key, index })
  const notebook: DocHandle<NotebookDoc> = q.repo.create<NotebookDoc>(createNotebook({ kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } }))
  project.project.change((d) => { addFile(d, { path: 'member.ipynb', kind: 'notebook', url: notebook.url }) })
  await index.settled()
  const id = node.peerId.toString()
  let workspace: { senderId: string; state: string; pending: number; problemCount: number } | null = null
  project.project.on('ephemeral-message', ({ senderId, message }) => {
    const status = readWorkspaceStatus(message)
    if (status !== undefined) workspace = { senderId, state: status.state, pending: status.pending, problemCount: status.problemCount }
  })
  const keep = (text: string, n: number): { head: string; tail: string } => ({ head: text.slice(0, n), tail: text.length > n ? text.slice(-n) : '' })

  serveCommands({
    grantCompute: async (params) => {
      const grant = await signGrant(key, { project: project.id, subject: String((params as { peerId: string }).peerId), role: 'compute' })
      project.grants.change((d) => { appendGrantEntries(d, [grant]) })
      await index.settled()
      return null
    },
    dial: async (params) => {
      await node.dial(multiaddr(String((params as { address: string }).address)))
      return null
    },
    setComputePeer: (params) => {
      const { peerId } = params as { peerId: string | null }
      project.project.change((d) => { setSettings(d, { computePeer: peerId }) })
      return null
    },
    runCell: (params) => {
      let cellId = ''
      notebook.change((d) => { cellId = insertCell(d, readNotebook(d).cells.length, { cellType: 'code', source: String((params as { source: string }).source) }) })
      notebook.change((d) => setExecutionState(d, cellId, { status: 'queued', requestedBy: id, requestedAt: Date.now() }))
      return cellId
    },
    cell: (params) => {
      const { id: cellId, keep: n = 2000 } = params as { id: string; keep?: number }
      const cell = readNotebook(notebook.doc()).cells.find((c) => c.id === cellId)
      if (cell?.cellType !== 'code') throw Object.assign(new Error(`no code cell ${cellId}`), { code: 'NO_SUCH_CELL' })
      const outputs = cell.outputs.map((o) => {
        const text = o.output_type === 'stream' ? o.text : JSON.stringify(o)
        return { type: o.output_type, ...(o.output_type === 'stream' && { name: o.name }), length: text.length, ...keep(text, n) }
      })
      return { status: cell.execution.status, outputs }
    },
    addText: (params) => {
      const { path, content } = params as { path: string; content: string }
      const text = q.repo.create<TextDoc>(createText(content))
      project.project.change((d) => { addFile(d, { path, kind: 'text', url: text.url }) })
      return null
    },
    files: () => {
      const read = readProject(project.project.doc())
      return read.ok ? read.value.files.map((f) => ({ path: f.displayPath, kind: f.kind, createdBy: f.createdBy ?? '' })) : []
    },
    readText: async (params) => {
      const read = readProject(project.project.doc())
      const entry = read.ok ? read.value.files.find((f) => f.displayPath === (params as { path: string }).path && f.kind === 'text') : undefined
      if (entry?.kind !== 'text') return null
      const text = readText((await q.repo.find<TextDoc>(entry.url as AutomergeUrl)).doc())
      return text.ok ? text.value.content : null
    },
    setText: async (params) => {
      const { path, content } = params as { path: string; content: string }
      const read = readProject(project.project.doc())
      const entry = read.ok ? read.value.files.find((f) => f.displayPath === path && f.kind === 'text') : undefined
      if (entry?.kind !== 'text') return false
      ;(await q.repo.find<TextDoc>(entry.url as AutomergeUrl)).change((d) => { setText(d, content) })
      return true
    },
    snapshots: async (params) => {
      const { address, request } = params as { address: string; request: Omit<SnapshotRequest, 'project'> }
      try {
        return await requestSnapshots(node, multiaddr(address), { ...request, project: project.id })
      } catch (err) {
        return { ok: false, code: (err as { code?: string }).code, message: (err as Error).message }
      }
    },
    workspaceStatus: () => workspace,
    memory: () => {
      ;(globalThis as { gc?: () => void }).gc?.()
      const usage = process.memoryUsage()
      return { rss: usage.rss, heapUsed: usage.heapUsed }
    },
  })
  const stop = (): void => {
    void (async () => {
      index.stop()
      await q.stop()
      await node.stop()
    })().finally(() => process.exit(0))
  }
  process.once('SIGTERM', stop)
  process.once('disconnect', stop)
  process.send?.({ type: 'ready', info: { peerId: id, addresses: node.getMultiaddrs().map((a) => a.toString()), pid: process.pid, projectId: project.id } })
}

main().catch((err: unknown) => {
  process.stderr.write(`notebook-member failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
