/**
 * The workspace's lifecycle and scheduling: a watcher (`@parcel/watcher`) marks disk paths, document
 * changes mark the documents; one loop reads the disk paths (after a quiet period, so a file written in
 * steps is read whole and a rename's two events land in one batch), then writes the documents out, then
 * saves the records. Disk and documents are never worked on at the same time, so neither side reads the
 * other half done. A full rescan runs on start and after the watcher reports an error (missed events).
 */
import { promises as fs } from 'node:fs'
import { resolve, relative, sep } from 'node:path'
import type { AsyncSubscription } from '@parcel/watcher'
import type { DocHandle } from '@automerge/automerge-repo'
import type { ProjectDoc } from '@quire/crdt'
import { HandleCache, ProblemSet, type SyncContext } from './context.js'
import { TEMP_DIR, readRegular } from './disk-io.js'
import { readDisk } from './disk-to-doc.js'
import { isDiskFull, isGitPath, writeDocuments } from './doc-to-disk.js'
import { LateEdits } from './late-edits.js'
import { IGNORE_FILE, IgnoreRules } from './names.js'
import { scanWorkspace } from './scan.js'
import { StateStore } from './state-store.js'
import { DEFAULT_LIMITS, DEFAULT_TIMING, type Workspace, type WorkspaceInit, type WorkspaceStats, type WorkspaceStatus, type WorkspaceTiming } from './types.js'

/** Starts syncing `init.dir` with the project; resolves after the first full pass (see `whenIdle` for the rest). */
export async function startWorkspace(init: WorkspaceInit): Promise<Workspace> {
  const workspace = new ProjectWorkspace(init)
  await workspace.start()
  return workspace
}

class ProjectWorkspace implements Workspace {
  readonly dir: string
  readonly stats: WorkspaceStats = { filesWritten: 0, filesRemoved: 0, filesMoved: 0, changesFromDisk: 0, unchangedReads: 0, echoWrites: 0, rescans: 0, projectChanges: 0, statOnly: 0, filesRead: 0, projectReads: 0 }
  readonly #init: WorkspaceInit
  readonly #timing: WorkspaceTiming
  readonly #abort = new AbortController()
  readonly #problems = new ProblemSet()
  readonly #records: StateStore
  readonly #rules = new IgnoreRules()
  readonly #listeners = new Set<(status: WorkspaceStatus) => void>()
  readonly #dirty = new Set<string>()
  /** Paths put off because they were still changing, with when they were first put off. */
  readonly #fresh = new Map<string, number>()
  #handles: HandleCache | undefined
  #ctx: SyncContext | undefined
  #project: DocHandle<ProjectDoc> | undefined
  #subscription: AsyncSubscription | undefined
  #docsDirty = true
  #rescan = true
  #firstEventAt = 0
  #timer: NodeJS.Timeout | undefined
  #retry: NodeJS.Timeout | undefined
  #listing: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #again = false
  #now = false
  #stopped = false
  #state: WorkspaceStatus['state'] = 'starting'
  #lastStatus = ''

  constructor(init: WorkspaceInit) {
    this.#init = init
    this.dir = resolve(init.dir)
    this.#timing = { ...DEFAULT_TIMING, ...init.timing }
    this.#records = new StateStore(init.stateFile)
    init.signal?.addEventListener('abort', () => void this.stop(), { once: true })
  }

  get status(): WorkspaceStatus {
    const pending = this.#dirty.size + (this.#docsDirty ? 1 : 0) + (this.#handles?.waiting.size ?? 0)
    const state = this.#state === 'stopped' || this.#state === 'starting' ? this.#state
      : this.#problems.has('WORKSPACE_FULL') ? 'full'
      : pending > 0 || this.#running !== undefined ? 'syncing' : 'idle'
    return { state, pending, problems: this.#problems.list() }
  }

  onStatus(listener: (status: WorkspaceStatus) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async start(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true })
    // The watcher's first crawl of the tree runs on a thread-pool thread (half a second at 100,000 files):
    // the records and the project load meanwhile. The rescan still starts only once it watches (W41).
    const subscribing = this.#subscribe()
    subscribing.catch(() => undefined) // awaited below; a failure while the rest loads must not go unhandled meanwhile
    try {
      await this.#prepare()
      this.#subscription = await subscribing
      if (this.#stopped) {
        await this.#subscription.unsubscribe().catch(() => undefined)
        return
      }
    } catch (err) {
      void subscribing.then((s) => s.unsubscribe(), () => undefined)
      throw err
    }
    this.#state = 'syncing'
    this.#now = true
    this.#listing = setInterval(() => void this.#checkListing(), this.#timing.listingCheckMs)
    this.#listing.unref()
    // Not whenIdle(): a document no peer has sent yet would hold the start up; it is written when it comes.
    await this.#kick()
  }

  async #subscribe(): Promise<AsyncSubscription> {
    const watcher = await import('@parcel/watcher')
    return watcher.subscribe(this.dir, (err, events) => {
      if (err !== null) {
        this.#log(`watcher reported ${err.message}; rescanning the workspace`)
        this.#rescan = true
      }
      for (const event of events) {
        const rel = relative(this.dir, event.path)
        if (rel === '' || rel.startsWith('..') || isGitPath(rel.split(sep).join('/'))) continue
        this.#dirty.add(rel.split(sep).join('/'))
      }
      this.#schedule()
    }, { ignore: ['.git', TEMP_DIR] })
  }

  /** Loads the records, finds the project, reads the ignore rules and makes the sync context. */
  async #prepare(): Promise<void> {
    const { repo, project } = this.#init
    await this.#records.load()
    this.#project = typeof project === 'string' ? await repo.find<ProjectDoc>(project) : project
    await this.#project.whenReady()
    this.#handles = new HandleCache(repo, this.#markDocs)
    const handles = this.#handles
    this.#ctx = {
      repo,
      project: this.#project,
      root: this.dir,
      records: this.#records,
      blobs: this.#init.blobs,
      rules: this.#rules,
      limits: { ...DEFAULT_LIMITS, ...this.#init.limits },
      stats: this.stats,
      problems: this.#problems,
      lateEdits: new LateEdits(),
      peerId: this.#init.peerId,
      signal: this.#abort.signal,
      log: this.#init.log ?? (() => undefined),
      handle: (url) => handles.get(url),
      markDisk: (path) => this.#markDisk(path),
      tooFresh: (path, mtimeMs) => this.#tooFresh(path, mtimeMs),
    }
    const ignoreText = await readRegular(`${this.dir}/${IGNORE_FILE}`).catch(() => undefined)
    this.#rules.load(ignoreText === undefined ? undefined : new TextDecoder().decode(ignoreText))
    this.#project.on('change', this.#markDocs)
  }

  async flush(): Promise<void> {
    this.#now = true
    await this.#kick()
  }

  async whenIdle(): Promise<void> {
    for (;;) {
      if (this.#stopped) return
      if (this.#running !== undefined) await this.#running
      else if (this.#dirty.size > 0 || this.#docsDirty || this.#rescan || (this.#handles?.waiting.size ?? 0) > 0) await new Promise((r) => setTimeout(r, this.#timing.quietMs))
      else return
    }
  }

  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#abort.abort()
    clearTimeout(this.#timer)
    clearTimeout(this.#retry)
    clearInterval(this.#listing)
    this.#project?.off('change', this.#markDocs)
    this.#handles?.close()
    await this.#subscription?.unsubscribe().catch(() => undefined)
    await this.#running?.catch(() => undefined)
    await this.#records.save().catch(() => undefined)
    this.#state = 'stopped'
    this.#emit()
  }

  readonly #markDocs = (): void => {
    this.#docsDirty = true
    this.#schedule()
  }

  #markDisk(path: string): void {
    this.#dirty.add(path)
    this.#schedule()
  }

  #tooFresh(path: string, mtimeMs: number): boolean {
    const now = Date.now()
    const since = this.#fresh.get(path) ?? now
    if (now - mtimeMs >= this.#timing.quietMs || now - since >= this.#timing.maxDelayMs) {
      this.#fresh.delete(path)
      return false
    }
    this.#fresh.set(path, since)
    this.#markDisk(path)
    return true
  }

  /** Runs now for documents; waits for a quiet period for disk events (at most `maxDelayMs` after the first). */
  #schedule(): void {
    // While starting, what comes waits for the start's first pass (the rescan reads every path once it watches).
    if (this.#stopped || this.#state === 'starting') return
    this.#emit()
    if (this.#running !== undefined) {
      this.#again = true
      return
    }
    if (this.#dirty.size === 0 && !this.#rescan) {
      if (this.#docsDirty) void this.#kick()
      return
    }
    const now = Date.now()
    if (this.#firstEventAt === 0) this.#firstEventAt = now
    clearTimeout(this.#timer)
    const wait = Math.max(0, Math.min(this.#timing.quietMs, this.#firstEventAt + this.#timing.maxDelayMs - now))
    this.#timer = setTimeout(() => {
      this.#now = true
      void this.#kick()
    }, wait)
  }

  #kick(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true
      return this.#running
    }
    const run = this.#loop().finally(() => {
      this.#running = undefined
      this.#emit()
      if (this.#again) {
        this.#again = false
        this.#schedule()
      }
    })
    this.#running = run
    return run
  }

  async #loop(): Promise<void> {
    const ctx = this.#ctx!
    do {
      this.#again = false
      if (this.#stopped) return
      try {
        if (this.#rescan) {
          this.#rescan = false
          this.stats.rescans++
          const scan = await scanWorkspace(this.dir, this.#rules)
          const all = new Set(this.#dirty)
          for (const path of scan.paths) all.add(path)
          for (const path of scan.emptyDirs) all.add(path)
          for (const r of this.#records.all()) all.add(r.path)
          this.#dirty.clear()
          this.#firstEventAt = 0
          // Read as a rescan: files whose size and times the records know are not read (W22).
          await readDisk(ctx, all, { rescan: true })
          this.#docsDirty = true
        }
        if (this.#now && this.#dirty.size > 0) {
          this.#now = false
          this.#firstEventAt = 0
          const batch = [...this.#dirty]
          this.#dirty.clear()
          await readDisk(ctx, batch)
          this.#docsDirty = true
        }
        if (this.#docsDirty) {
          this.#docsDirty = false
          const missing = await writeDocuments(ctx, (path) => this.#dirty.has(path))
          if (missing > 0) this.#retryLater()
        }
        await this.#records.save()
        this.#problems.clear('') // a pass went through: a failure of the whole workspace is over
      } catch (err) {
        this.#log(`sync failed: ${(err as Error).message}; retrying on the next change`)
        this.#problems.set('', isDiskFull(err) ? 'WORKSPACE_FULL' : 'WORKSPACE_IO_FAILED', (err as Error).message)
      }
      this.#emit()
    } while (this.#again && !this.#stopped && (this.#docsDirty || (this.#now && this.#dirty.size > 0)))
    if (this.#dirty.size > 0) this.#schedule()
  }

  /** Marks what the listing and the records disagree on (W17); reads nothing. */
  async #checkListing(): Promise<void> {
    if (this.#running !== undefined || this.#stopped) return
    const scan = await scanWorkspace(this.dir, this.#rules).catch(() => undefined)
    if (scan === undefined || this.#stopped) return
    const onDisk = new Set([...scan.paths, ...scan.emptyDirs])
    let found = 0
    for (const r of this.#records.all()) {
      if (r.kind !== 'folder' && !onDisk.has(r.path) && !this.#dirty.has(r.path)) {
        this.#dirty.add(r.path)
        found++
      }
    }
    for (const path of scan.paths) {
      if (this.#records.atPath(path) === undefined && !this.#problems.list().some((p) => p.path === path) && !this.#dirty.has(path)) {
        this.#dirty.add(path)
        found++
      }
    }
    if (found > 0) {
      this.#log(`${found} paths changed without a watcher event; reading them`)
      this.#schedule()
    }
  }

  #retryLater(): void {
    if (this.#retry !== undefined) return
    this.#retry = setTimeout(() => {
      this.#retry = undefined
      this.#markDocs()
    }, this.#timing.retryMs)
  }

  #emit(): void {
    const status = this.status
    const key = JSON.stringify(status)
    if (key === this.#lastStatus && !this.#problems.takeChanged()) return
    this.#lastStatus = key
    for (const listener of this.#listeners) listener(status)
  }

  #log(line: string): void {
    this.#init.log?.(`[workspace] ${line}`)
  }
}
