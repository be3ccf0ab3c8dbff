/**
 * What both directions of the sync share: the project, the directory, the records of what was last
 * written or read, the blob store, problems and counters, and a cache of the files' document handles.
 */
import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo'
import type { ProjectDoc } from '@quire/crdt'
import type { LateEdits } from './late-edits.js'
import type { IgnoreRules } from './names.js'
import type { StateStore } from './state-store.js'
import type { WorkspaceBlobs, WorkspaceLimits, WorkspaceProblem, WorkspaceProblemCode, WorkspaceStats } from './types.js'

/** Problems by path; a path that syncs again loses its problem. */
export class ProblemSet {
  readonly #byPath = new Map<string, WorkspaceProblem>()
  /** Paths whose problem the writer set (an entry it could not write): they go with their entry. */
  readonly #ofEntries = new Set<string>()
  #changed = false

  /** `ofEntry`: the problem is that of a document entry the writer could not write, not of a file on disk. */
  set(path: string, code: WorkspaceProblemCode, message: string, ofEntry = false): void {
    if (ofEntry) this.#ofEntries.add(path)
    else this.#ofEntries.delete(path)
    const before = this.#byPath.get(path)
    if (before?.code === code && before.message === message) return
    this.#byPath.set(path, { code, path, message })
    this.#changed = true
  }

  clear(path: string): void {
    this.#ofEntries.delete(path)
    if (this.#byPath.delete(path)) this.#changed = true
  }

  /** Drops the writer's problems of entries that are gone (`live` says which paths still are entries). */
  clearGoneEntries(live: (path: string) => boolean): void {
    for (const path of this.#ofEntries) if (!live(path)) this.clear(path)
  }

  has(code: WorkspaceProblemCode): boolean {
    for (const p of this.#byPath.values()) if (p.code === code) return true
    return false
  }

  list(): WorkspaceProblem[] {
    return [...this.#byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  }

  /** Whether problems changed since the last call. */
  takeChanged(): boolean {
    const changed = this.#changed
    this.#changed = false
    return changed
  }
}

export interface SyncContext {
  readonly repo: Repo
  readonly project: DocHandle<ProjectDoc>
  /** The workspace directory, absolute. */
  readonly root: string
  readonly records: StateStore
  readonly blobs: WorkspaceBlobs
  readonly rules: IgnoreRules
  readonly limits: WorkspaceLimits
  readonly stats: WorkspaceStats
  readonly problems: ProblemSet
  /** Members' edits that arrive after the disk change that removed their entry was read (W33, W35). */
  readonly lateEdits: LateEdits
  readonly peerId: string | undefined
  readonly signal: AbortSignal
  readonly log: (line: string) => void
  /** The ready handle of a file's document, or undefined while no peer has sent it (asked for meanwhile). */
  handle<T>(url: string): Promise<DocHandle<T> | undefined>
  /** Marks disk paths to be read again (a pending disk edit must be read before its file is written). */
  markDisk(path: string): void
  /**
   * True (and the path marked again) when a file changed less than a quiet period ago, unless it has been put
   * off for longer than `maxDelayMs`: a file written in steps is read once it stopped changing.
   */
  tooFresh(path: string, mtimeMs: number): boolean
}

/** Handles of the files' documents, found once and watched for changes. */
export class HandleCache {
  readonly #repo: Repo
  readonly #onChange: () => void
  readonly #handles = new Map<string, DocHandle<unknown>>()
  readonly #finding = new Set<string>()
  /** Documents asked for that no peer has sent yet. */
  readonly waiting = new Set<string>()

  constructor(repo: Repo, onChange: () => void) {
    this.#repo = repo
    this.#onChange = onChange
  }

  async get<T>(url: string): Promise<DocHandle<T> | undefined> {
    const known = this.#handles.get(url)
    if (known !== undefined) return known.isReady() ? (known as DocHandle<T>) : undefined
    if (this.#finding.has(url)) return undefined
    this.#finding.add(url)
    this.waiting.add(url)
    try {
      const handle = await this.#repo.find<unknown>(url as AutomergeUrl, { allowableStates: ['ready', 'unavailable'] })
      this.#handles.set(url, handle)
      handle.on('change', this.#onChange)
      if (handle.isReady()) this.waiting.delete(url)
      if (!handle.isReady()) {
        // No peer had it yet: write the file once a peer sends it.
        this.waiting.add(url)
        void handle.whenReady().then(() => {
          this.waiting.delete(url)
          this.#onChange()
        }, () => undefined)
        return undefined
      }
      return handle as DocHandle<T>
    } catch {
      this.waiting.delete(url)
      return undefined
    } finally {
      this.#finding.delete(url)
    }
  }

  /** Adds a handle made here (a file new on disk). */
  add(url: string, handle: DocHandle<unknown>): void {
    if (this.#handles.has(url)) return
    this.#handles.set(url, handle)
    handle.on('change', this.#onChange)
  }

  close(): void {
    for (const handle of this.#handles.values()) handle.off('change', this.#onChange)
    this.#handles.clear()
    this.waiting.clear()
  }
}
