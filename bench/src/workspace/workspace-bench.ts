/**
 * The workspace (compute-peer/src/workspace) measured: a one-line edit from a document to the disk and back,
 * beside the raw @parcel/watcher event latency on the same file (the floor); a `git checkout` of many changed
 * files until a second repo's documents hold the branch; a rescan of a large unchanged project (the
 * size+mtime shortcut, and the writer's work from the records), its first scan, and a restart after a member's
 * rename while stopped. Everything is written under one temporary directory, removed after.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, promises as fs, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { next as A } from '@automerge/automerge'
import { Repo, type AutomergeUrl, type DocHandle } from '@automerge/automerge-repo'
import { MemoryLevel } from 'memory-level'
import { BlobStore } from '@quire/node'
import { addFile, createProject, createText, readProject, renameFile, type ProjectDoc, type TextDoc } from '@quire/crdt'
import { startWorkspace, type Workspace } from '@quire/compute-peer'
import { adapterPair } from '@quire/compute-peer/testing'

const OWNER = '12D3KooWOwnerPeerIdForWorkspaceBench'
const now = (): number => performance.now()
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Latency samples (ms) of one direction. */
export interface LatencyResult {
  readonly docToDisk: number[]
  readonly diskToDoc: number[]
  /** Write to the raw @parcel/watcher event for the same file, in the disk-to-document samples. */
  readonly watcherFloor: number[]
}

interface Pair {
  readonly base: string
  readonly dir: string
  readonly member: Repo
  readonly compute: Repo
  readonly project: DocHandle<ProjectDoc>
  readonly start: (more?: { listingCheckMs?: number }) => Promise<Workspace>
  readonly close: () => Promise<void>
}

/** A member repo and the compute peer's repo, connected in this process, and a workspace on the compute side. */
function pair(base: string, connected = true): Pair {
  const [a, b] = adapterPair()
  const member = new Repo({ network: connected ? [a] : [], peerId: 'member' as never, sharePolicy: async () => true })
  const compute = new Repo({ network: connected ? [b] : [], peerId: 'compute' as never, sharePolicy: async () => true })
  const dir = join(base, 'project')
  const project = (connected ? member : compute).import<ProjectDoc>(A.save(createProject({ name: 'bench', owner: OWNER, createdAt: 1 })))
  const blobs = new BlobStore(new MemoryLevel<string, Uint8Array>())
  let ws: Workspace | undefined
  return {
    base, dir, member, compute, project,
    async start(more = {}) {
      ws = await startWorkspace({
        repo: compute, project: project.url, dir, stateFile: join(base, 'state.json'), blobs,
        limits: { maxFiles: 1_000_000, maxTotalBytes: 64 * 1024 ** 3 },
        timing: { listingCheckMs: more.listingCheckMs ?? 10_000 },
      })
      return ws
    },
    async close() {
      await ws?.stop()
      await member.shutdown()
      await compute.shutdown()
    },
  }
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number, stepMs = 1): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(stepMs)
  }
}

/** One-line edits, alternating a document edit (to disk) and a disk write (to the document). */
export async function workspaceLatency(samples: number): Promise<LatencyResult> {
  const base = mkdtempSync(join(tmpdir(), 'quire-bench-ws-'))
  const p = pair(base)
  const watcher = await import('@parcel/watcher')
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i}: ${'x'.repeat(60)}`)
  const text = p.member.import<TextDoc>(A.save(createText(`${lines.join('\n')}\n`)))
  p.project.change((d) => { addFile(d, { path: 'edit.txt', kind: 'text', url: text.url }) })
  const file = join(p.dir, 'edit.txt')
  const out: LatencyResult = { docToDisk: [], diskToDoc: [], watcherFloor: [] }
  let sub: Awaited<ReturnType<typeof watcher.subscribe>> | undefined
  try {
    const ws = await p.start()
    await until(async () => (await fs.readFile(file, 'utf8').catch(() => '')).startsWith('line 0'), 'the file on disk', 30_000, 20)
    await ws.whenIdle()
    let eventAt = 0
    sub = await watcher.subscribe(p.dir, (_err, events) => {
      if (eventAt === 0 && events.some((e) => e.path === file)) eventAt = now()
    }, { ignore: ['.quire-tmp'] })
    for (let i = 0; i < samples + 3; i++) {
      const warm = i < 3
      // Document to disk: a member changes line 10; done when the file holds it.
      const docMark = `doc edit ${i}`
      const t0 = now()
      text.change((d) => A.updateText(d, ['content'], d.content.replace(/^line 10:.*$/m, `line 10: ${docMark}`)))
      await until(async () => (await fs.readFile(file, 'utf8').catch(() => '')).includes(docMark), 'the edit on disk', 30_000)
      if (!warm) out.docToDisk.push(now() - t0)
      await sleep(300)
      await ws.whenIdle()
      // Disk to document: line 20 changed in place on disk; done when the member's document holds it.
      const diskMark = `disk edit ${i}`
      const current = await fs.readFile(file, 'utf8')
      eventAt = 0
      const t1 = now()
      await fs.writeFile(file, current.replace(/^line 20:.*$/m, `line 20: ${diskMark}`))
      await until(() => text.doc().content.includes(diskMark), 'the edit in the document', 30_000)
      const t2 = now()
      await until(() => eventAt !== 0, 'the watcher event', 10_000)
      if (!warm) {
        out.diskToDoc.push(t2 - t1)
        out.watcherFloor.push(eventAt - t1)
      }
      await sleep(300)
      await ws.whenIdle()
    }
  } finally {
    await sub?.unsubscribe()
    await p.close()
    rmSync(base, { recursive: true, force: true })
  }
  return out
}

function git(dir: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.email=b@example.invalid', '-c', 'user.name=b', ...args], { cwd: dir, stdio: 'ignore' })
}

/** `git checkout` of a branch changing `files` files: ms until the member's documents all hold the branch. */
export async function workspaceCheckout(files: number): Promise<{ seconds: number; projectChanges: number; filesRead: number }> {
  const base = mkdtempSync(join(tmpdir(), 'quire-bench-ws-'))
  const p = pair(base)
  try {
    await fs.mkdir(join(p.dir, 'src'), { recursive: true })
    for (let i = 0; i < files; i++) await fs.writeFile(join(p.dir, `src/f${i}.py`), `x = ${i}\n`)
    git(p.dir, 'init', '-q', '-b', 'main')
    git(p.dir, 'add', '.')
    git(p.dir, 'commit', '-q', '-m', 'main')
    git(p.dir, 'checkout', '-q', '-b', 'other')
    for (let i = 0; i < files; i++) await fs.writeFile(join(p.dir, `src/f${i}.py`), `x = ${i}\ny = ${i * 2}\n`)
    git(p.dir, 'commit', '-q', '-a', '-m', 'other')
    git(p.dir, 'checkout', '-q', 'main')
    const ws = await p.start()
    await ws.whenIdle()
    // The member's handles of every file, found before the checkout starts.
    const handles = new Map<string, DocHandle<TextDoc>>()
    await until(async () => {
      const read = readProject(p.project.doc())
      for (const f of read.ok ? read.value.files : []) {
        if (f.kind === 'text' && !handles.has(f.displayPath)) handles.set(f.displayPath, await p.member.find<TextDoc>(f.url as AutomergeUrl))
      }
      return handles.size === files
    }, 'the files in the member repo', 600_000, 50)
    const before = { ...ws.stats }
    const t0 = now()
    git(p.dir, 'checkout', '-q', 'other')
    const expected = [...handles].map(([path, h]) => [h, `x = ${path.slice(5, -3)}\ny = ${Number(path.slice(5, -3)) * 2}\n`] as const)
    await until(() => expected.every(([h, want]) => h.doc().content === want), 'the branch in the member repo', 600_000, 10)
    return { seconds: (now() - t0) / 1000, projectChanges: ws.stats.projectChanges - before.projectChanges, filesRead: ws.stats.filesRead - before.filesRead }
  } finally {
    await p.close()
    rmSync(base, { recursive: true, force: true })
  }
}

/** One scan's time and memory growth. */
export interface ScanFigures {
  readonly seconds: number
  readonly rssGrowth: number
  readonly heapGrowth: number
  readonly filesRead: number
  readonly statOnly: number
  /** Writer passes that read the whole project document (W41: none when the project is as the records last saw it). */
  readonly projectReads: number
}

/**
 * A project of `files` small files: its first scan, then the rescan of a restart with nothing changed. Text
 * files each become a text document (automerge-repo's `import`, several ms each); binary files (a NUL byte)
 * become blob entries, so a first scan of 100,000 files finishes.
 */
export async function workspaceRescan(files: number, kind: 'text' | 'binary'): Promise<{ first: ScanFigures; unchanged: ScanFigures; memberEdit: ScanFigures }> {
  const base = mkdtempSync(join(tmpdir(), 'quire-bench-ws-'))
  // No member: the scan is the workspace's work, not a second repo's sync of every document.
  const p = pair(base, false)
  const perDir = 1000
  try {
    for (let d = 0; d < Math.ceil(files / perDir); d++) {
      await fs.mkdir(join(p.dir, `d${d}`), { recursive: true })
      const writes: Array<Promise<void>> = []
      for (let i = d * perDir; i < Math.min(files, (d + 1) * perDir); i++) writes.push(fs.writeFile(join(p.dir, `d${d}/f${i}.${kind === 'text' ? 'txt' : 'bin'}`), kind === 'text' ? `${i}\n` : `${i}\0`))
      await Promise.all(writes)
    }
    await sleep(200) // past the quiet period, so no file is put off as still being written
    const measure = async (): Promise<ScanFigures> => {
      globalThis.gc?.()
      const m0 = process.memoryUsage()
      const t0 = now()
      const ws = await p.start({ listingCheckMs: 3_600_000 })
      await ws.whenIdle()
      const seconds = (now() - t0) / 1000
      const m1 = process.memoryUsage()
      const figures = { seconds, rssGrowth: m1.rss - m0.rss, heapGrowth: m1.heapUsed - m0.heapUsed, filesRead: ws.stats.filesRead, statOnly: ws.stats.statOnly, projectReads: ws.stats.projectReads }
      await ws.stop()
      return figures
    }
    const first = await measure()
    // A restart: the same repo and state file; nothing changed on disk.
    const unchanged = await measure()
    // A restart after a member renamed one file while the workspace was stopped: the project is not as the
    // records last saw it, so the writer reads it whole (W41's shortcut does not apply) and moves the file.
    const read = readProject(p.project.doc())
    const entry = read.ok ? read.value.files.find((f) => f.kind !== 'folder') : undefined
    if (entry === undefined) throw new Error('no file entry to rename')
    p.project.change((d) => renameFile(d, entry.id, `${entry.path}.renamed`))
    const memberEdit = await measure()
    return { first, unchanged, memberEdit }
  } finally {
    await p.close()
    rmSync(base, { recursive: true, force: true })
  }
}
