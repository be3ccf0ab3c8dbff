/**
 * A project shared by a member's repo and the compute peer's repo (connected in this process), a workspace
 * on the compute side over a temporary directory, and helpers to edit either side and wait for both.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { next as A } from '@automerge/automerge'
import { Repo, type AutomergeUrl, type DocHandle } from '@automerge/automerge-repo'
import { MemoryLevel } from 'memory-level'
import { BlobStore } from '@quire/node'
import { addFile, createNotebook, createProject, createText, insertCell, readProject, readText, type FileEntry, type NotebookDoc, type ProjectDoc, type TextDoc } from '@quire/crdt'
import { startWorkspace, type Workspace, type WorkspaceInit } from '../../src/index.js'
import { adapterPair } from '../../src/testing/adapter-pair.js'

export const OWNER = '12D3KooWOwnerPeerIdForWorkspaceTests'
export const COMPUTE = '12D3KooWComputePeerIdForTests'

export interface WorkspaceHarness {
  readonly member: Repo
  readonly compute: Repo
  readonly project: DocHandle<ProjectDoc>
  readonly dir: string
  readonly stateFile: string
  readonly blobs: BlobStore
  workspace: Workspace
  logs: string[]
  /** Adds a text file on the member's side; returns its entry id and handle. */
  addText(path: string, content: string): { id: string; handle: DocHandle<TextDoc> }
  addNotebook(path: string, sources: string[]): { id: string; handle: DocHandle<NotebookDoc> }
  /** The member's view of the files. */
  files(): FileEntry[]
  entryAt(path: string): FileEntry | undefined
  /** The member's text at a path, or undefined. */
  textAt(path: string): Promise<string | undefined>
  disk(path: string): string
  start(init?: Partial<WorkspaceInit>): Promise<Workspace>
  close(): Promise<void>
}

export async function workspaceHarness(init: Partial<WorkspaceInit> = {}): Promise<WorkspaceHarness> {
  const [a, b] = adapterPair()
  const member = new Repo({ network: [a], peerId: 'member' as never, sharePolicy: async () => true })
  const compute = new Repo({ network: [b], peerId: 'compute' as never, sharePolicy: async () => true })
  const base = mkdtempSync(join(tmpdir(), 'quire-ws-'))
  const dir = join(base, 'project')
  const stateFile = join(base, 'state', 'workspace.json')
  const blobs = new BlobStore(new MemoryLevel<string, Uint8Array>())
  const project = member.import<ProjectDoc>(A.save(createProject({ name: 'ws', owner: OWNER, createdAt: 1 })))
  const logs: string[] = []
  const h: WorkspaceHarness = {
    member,
    compute,
    project,
    dir,
    stateFile,
    blobs,
    workspace: undefined as unknown as Workspace,
    logs,
    addText(path, content) {
      const handle = member.import<TextDoc>(A.save(createText(content)))
      let id = ''
      project.change((d) => { id = addFile(d, { path, kind: 'text', url: handle.url }) })
      return { id, handle }
    },
    addNotebook(path, sources) {
      const handle = member.import<NotebookDoc>(A.save(createNotebook({ kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } })))
      handle.change((d) => sources.forEach((s, i) => insertCell(d, i, { cellType: 'code', source: s, id: `cell-${i}` })))
      let id = ''
      project.change((d) => { id = addFile(d, { path, kind: 'notebook', url: handle.url }) })
      return { id, handle }
    },
    files() {
      const read = readProject(project.doc())
      return read.ok ? [...read.value.files] : []
    },
    entryAt(path) {
      return h.files().find((f) => f.displayPath === path)
    },
    async textAt(path) {
      const entry = h.entryAt(path)
      if (entry === undefined || entry.kind !== 'text') return undefined
      const handle = await member.find<TextDoc>(entry.url as AutomergeUrl)
      const read = readText(handle.doc())
      return read.ok ? read.value.content : undefined
    },
    disk(path) {
      return join(dir, path)
    },
    async start(more = {}) {
      h.workspace = await startWorkspace({
        repo: compute,
        project: project.url,
        dir,
        stateFile,
        blobs,
        peerId: COMPUTE,
        timing: { quietMs: 50, maxDelayMs: 1000, retryMs: 200, listingCheckMs: 500 },
        log: (line) => logs.push(line),
        ...init,
        ...more,
      })
      await h.workspace.whenIdle()
      return h.workspace
    },
    async close() {
      await h.workspace?.stop()
      await member.shutdown()
      await compute.shutdown()
      // rm walks with openat, so paths longer than PATH_MAX (the bad-input test makes one) go too.
      execFileSync('rm', ['-rf', base])
    },
  }
  return h
}

/** Waits until `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** The file's text, or undefined when it is not there. */
export async function readDiskText(file: string): Promise<string | undefined> {
  return fs.readFile(file, 'utf8').catch(() => undefined)
}

/** Lets disk events arrive and the workspace finish with them. */
export async function settle(ws: Workspace, ms = 300): Promise<void> {
  await new Promise((r) => setTimeout(r, ms))
  await ws.whenIdle()
}
