/**
 * The workspace's disk side running as its own process in the sandbox (W31), against a compute repo in
 * this process: both directions, a restart after it dies, and the reason it runs there: a folder of the
 * workspace replaced by a symbolic link does not lead the runner out of the project.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { next as A } from '@automerge/automerge'
import { Repo, type AutomergeUrl, type DocHandle } from '@automerge/automerge-repo'
import { MemoryLevel } from 'memory-level'
import { BlobStore } from '@quire/node'
import { addFile, createProject, createText, readProject, readText, type ProjectDoc, type TextDoc } from '@quire/crdt'
import { probeSandboxHost, runnerAccess, runnerPeerId, WorkspaceRunner, type SandboxHost } from '../../src/index.js'
import type { DocumentId } from '@automerge/automerge-repo'
import { resolveSandboxUser } from '../../src/sandbox/sandbox-user.js'
import { adapterPair } from '../../src/testing/adapter-pair.js'
import { until } from './harness.js'

let host: SandboxHost
beforeAll(async () => {
  const user = await resolveSandboxUser()
  host = await probeSandboxHost(user ? { user } : {})
})

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function setup() {
  const [a, b] = adapterPair()
  const member = new Repo({ network: [a], peerId: 'member' as never, sharePolicy: async () => true })
  const compute = new Repo({ network: [b], peerId: 'compute' as never, sharePolicy: async () => true })
  const base = mkdtempSync(join(tmpdir(), 'quire-wr-'))
  const dir = join(base, 'project')
  const project = member.import<ProjectDoc>(A.save(createProject({ name: 'runner', owner: 'owner', createdAt: 1 })))
  const logs: string[] = []
  const runner = new WorkspaceRunner({
    repo: compute, project: project.documentId, dir, stateDir: join(base, 'state'),
    blobs: new BlobStore(new MemoryLevel<string, Uint8Array>()), peerId: 'compute-peer', host,
    timing: { quietMs: 50, maxDelayMs: 1000, retryMs: 200, listingCheckMs: 500 },
    log: (line) => logs.push(line),
  })
  cleanups.push(async () => {
    await runner.stop()
    await member.shutdown()
    await compute.shutdown()
    rmSync(base, { recursive: true, force: true })
  })
  const addText = (path: string, content: string): DocHandle<TextDoc> => {
    const handle = member.import<TextDoc>(A.save(createText(content)))
    project.change((d) => void addFile(d, { path, kind: 'text', url: handle.url }))
    return handle
  }
  const memberText = async (path: string): Promise<string | undefined> => {
    const read = readProject(project.doc())
    const entry = read.ok ? read.value.files.find((f) => f.displayPath === path) : undefined
    if (entry?.kind !== 'text') return undefined
    const text = readText((await member.find<TextDoc>(entry.url as AutomergeUrl)).doc())
    return text.ok ? text.value.content : undefined
  }
  return { member, project, dir, base, runner, logs, addText, memberText }
}

const diskText = (file: string): string | undefined => (existsSync(file) ? readFileSync(file, 'utf8') : undefined)

describe('workspace runner (W31)', () => {
  it('writes a member\'s file to disk and brings a file made on disk to the member, from inside the sandbox', async () => {
    const s = await setup()
    s.addText('notes.txt', 'from the member\n')
    await s.runner.start()
    await until(() => diskText(join(s.dir, 'notes.txt')) === 'from the member\n', 'notes.txt on disk')
    if (host.user !== undefined) expect(statSync(join(s.dir, 'notes.txt')).uid).toBe(host.user.uid)
    writeFileSync(join(s.dir, 'made-on-disk.txt'), 'from a kernel\n')
    await until(async () => (await s.memberText('made-on-disk.txt')) === 'from a kernel\n', 'the disk file at the member')
    await until(() => s.runner.status.state === 'idle', 'idle status')
  })

  it('starts again after it is killed, and syncs what changed meanwhile', async () => {
    const s = await setup()
    await s.runner.start()
    await until(() => s.runner.status.state === 'idle', 'first run idle')
    await s.runner.process!.kill()
    writeFileSync(join(s.dir, 'while-down.txt'), 'written while the runner was down\n')
    await until(() => s.runner.starts === 2 && s.runner.status.state === 'idle', 'second run idle', 20_000)
    await until(async () => (await s.memberText('while-down.txt')) === 'written while the runner was down\n', 'the file at the member')
    expect(s.logs.join('\n')).toMatch(/starting it again/)
  }, 30_000)

  it.skipIf(process.getuid?.() !== 0)('a folder replaced by a link to a host directory leads nowhere: the member\'s edit does not reach the host', async () => {
    const s = await setup()
    const outside = join(s.base, 'outside')
    mkdirSync(outside)
    await s.runner.start()
    await until(() => s.runner.status.state === 'idle', 'idle')
    // What code in a kernel can do: the workspace is its working directory.
    symlinkSync(outside, join(s.dir, 'sub'))
    s.addText('sub/stolen.txt', 'must not land outside the project\n')
    s.addText('visible.txt', 'written after it\n')
    await until(() => diskText(join(s.dir, 'visible.txt')) === 'written after it\n', 'the next file on disk')
    expect(existsSync(join(outside, 'stolen.txt'))).toBe(false)
  })

  it('[W31] a runner\'s peer id may sync its own project\'s documents only: not the grants, not a document another project links too', () => {
    const p = 'projectP' as DocumentId
    const q = 'projectQ' as DocumentId
    const links: Record<string, DocumentId[]> = { projectP: [p], grantsP: [p], notes: [p], shared: [p, q], other: [q] }
    const index = { grantsOf: (id: unknown) => (id === p ? 'grantsP' as DocumentId : undefined), projectsOf: (id: DocumentId) => links[id] ?? [] }
    const may = runnerAccess(index, new Map([[runnerPeerId(p), p]]))
    const runner = runnerPeerId(p)
    expect(['projectP', 'notes', 'grantsP', 'shared', 'other', 'unknown'].map((d) => may(runner, d as DocumentId))).toEqual([true, true, false, false, false, false])
    // Anyone else is left to the member rules.
    expect(may('12D3KooWSomeMember', 'notes' as DocumentId)).toBeUndefined()
    expect(may(runnerPeerId(q), 'other' as DocumentId)).toBeUndefined()
  })
})

