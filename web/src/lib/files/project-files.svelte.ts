/**
 * The project's files, read reactively from the project document: re-read (and validated) only when the
 * document's heads change.
 */
import type { DocHandle } from '@automerge/automerge-repo'
import { listTree, readProject, type BrokenFileEntry, type FileEntry, type FolderNode, type ProjectRead } from '@quire/crdt'
import { docSubscriber } from '../peer/doc-subscriber.js'

export class ProjectFiles {
  readonly #handle: DocHandle<unknown>
  readonly #subscribe: () => void
  #key = ''
  #read: ProjectRead | undefined
  #error: string | undefined
  #tree: FolderNode | undefined

  constructor(handle: DocHandle<unknown>) {
    this.#handle = handle
    this.#subscribe = docSubscriber(handle)
  }

  #refresh(): void {
    this.#subscribe()
    const key = this.#handle.isReady() ? this.#handle.heads().join(',') : ''
    if (key === this.#key && (this.#read || this.#error)) return
    this.#key = key
    if (!this.#handle.isReady()) {
      this.#read = undefined
      this.#tree = undefined
      this.#error = undefined
      return
    }
    const read = readProject(this.#handle.doc())
    this.#read = read.ok ? read.value : undefined
    this.#error = read.ok ? undefined : read.error.message
    this.#tree = read.ok ? listTree(read.value) : undefined
  }

  /** The validated project, or undefined when it is not readable (see {@link error}). */
  get project(): ProjectRead | undefined {
    this.#refresh()
    return this.#read
  }

  /** Why the project cannot be read, if it cannot. */
  get error(): string | undefined {
    this.#refresh()
    return this.#error
  }

  get tree(): FolderNode | undefined {
    this.#refresh()
    return this.#tree
  }

  get files(): readonly FileEntry[] {
    return this.project?.files ?? []
  }

  get broken(): readonly BrokenFileEntry[] {
    return this.project?.brokenFiles ?? []
  }

  byId(id: string): FileEntry | undefined {
    return this.files.find((f) => f.id === id)
  }
}
