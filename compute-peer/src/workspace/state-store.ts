/**
 * What the workspace last wrote or read, per entry: the path on disk, the bytes' hash, and for text and
 * notebooks the document heads those bytes were made from. A disk edit is applied against those heads, so
 * members' concurrent edits merge; a read that finds the recorded hash is a touch or our own write (no
 * echo). Kept in one JSON file outside the workspace, written atomically, so it survives a restart.
 *
 * It also keeps the heads of the project document at which the records were last found to hold every live
 * entry exactly (same ids, paths, kinds, document URLs and blob hashes; W41). While the project still has
 * those heads, the writer works from the records and does not read the project (100,000 entries take seconds
 * to read). Any change of a record's shape forgets those heads, so they are never trusted for records that
 * moved on since.
 */
import { promises as fs } from 'node:fs'
import { writeAtomic } from './disk-io.js'

export interface FileRecord {
  /** The entry id in the project document. */
  readonly id: string
  /** The workspace-relative path the file has on disk (the entry's display path). */
  path: string
  kind: 'text' | 'notebook' | 'blob' | 'folder'
  /** sha-256 of the bytes on disk ('' for a folder). */
  hash: string
  size: number
  /** Text and notebook: the document heads the bytes on disk correspond to. */
  heads?: string[]
  /** Text and notebook: the entry's document URL (lets the writer work from the records, W41). */
  url?: string
  /**
   * The file's mtime and ctime in nanoseconds (decimal) when its bytes were last read; a rescan does not read
   * a file whose size and times are still these (W22). ctime too, because a program can set mtime back.
   */
  mtimeNs?: string
  ctimeNs?: string
}

interface StateFile {
  readonly version: 1
  readonly files: FileRecord[]
  /** The project heads the records are complete for (W41); absent when not known. */
  readonly projectHeads?: string[]
}

export class StateStore {
  readonly #file: string
  readonly #byId = new Map<string, FileRecord>()
  readonly #byPath = new Map<string, FileRecord>()
  #dirty = false
  #totalBytes = 0
  #projectHeads: string[] | undefined

  constructor(file: string) {
    this.#file = file
  }

  async load(): Promise<void> {
    let text: string
    try {
      text = await fs.readFile(this.#file, 'utf8')
    } catch {
      return // first start
    }
    try {
      const state = JSON.parse(text) as StateFile
      if (state.version === 1 && Array.isArray(state.files)) {
        // Straight into the maps (not `set`): 100,000 records load at every start.
        for (const r of state.files) {
          this.#byId.set(r.id, r)
          this.#byPath.set(r.path, r)
          this.#totalBytes += r.size
        }
        if (Array.isArray(state.projectHeads) && state.projectHeads.every((h) => typeof h === 'string')) this.#projectHeads = [...state.projectHeads].sort()
      }
    } catch {
      // A damaged state file only costs merges against the current document instead of the old base.
    }
    this.#dirty = false
  }

  get(id: string): FileRecord | undefined {
    return this.#byId.get(id)
  }

  atPath(path: string): FileRecord | undefined {
    return this.#byPath.get(path)
  }

  all(): FileRecord[] {
    return [...this.#byId.values()]
  }

  set(record: FileRecord): void {
    const before = this.#byId.get(record.id)
    if (before === undefined || !sameShape(before, record)) this.#projectHeads = undefined
    if (before !== undefined && this.#byPath.get(before.path) === before) this.#byPath.delete(before.path)
    this.#totalBytes += record.size - (before?.size ?? 0)
    this.#byId.set(record.id, record)
    this.#byPath.set(record.path, record)
    this.#dirty = true
  }

  delete(id: string): void {
    const before = this.#byId.get(id)
    if (before === undefined) return
    this.#projectHeads = undefined
    this.#totalBytes -= before.size
    this.#byId.delete(id)
    if (this.#byPath.get(before.path) === before) this.#byPath.delete(before.path)
    this.#dirty = true
  }

  /**
   * Whether the records hold exactly the live entries of the project at `heads` (W41): set by
   * {@link markComplete}, forgotten by any change of a record's id, path, kind, URL or blob hash.
   */
  completeAt(heads: readonly string[]): boolean {
    const known = this.#projectHeads
    if (known === undefined || known.length !== heads.length) return false
    const sorted = [...heads].sort()
    return known.every((h, i) => h === sorted[i])
  }

  /** Records that the records hold exactly the live entries of the project at `heads` (checked by the caller). */
  markComplete(heads: readonly string[]): void {
    if (this.completeAt(heads)) return
    this.#projectHeads = [...heads].sort()
    this.#dirty = true
  }

  totalBytes(): number {
    return this.#totalBytes
  }

  get size(): number {
    return this.#byId.size
  }

  async save(): Promise<void> {
    if (!this.#dirty) return
    this.#dirty = false
    const state: StateFile = { version: 1, files: this.all(), ...(this.#projectHeads !== undefined ? { projectHeads: this.#projectHeads } : {}) }
    await writeAtomic(this.#file, new TextEncoder().encode(JSON.stringify(state)))
  }
}

/** Whether two records of one entry describe the same entry (what W41's shortcut relies on); text hashes and heads may differ. */
function sameShape(a: FileRecord, b: FileRecord): boolean {
  return a.id === b.id && a.path === b.path && a.kind === b.kind && a.url === b.url && (a.kind !== 'blob' || a.hash === b.hash)
}
