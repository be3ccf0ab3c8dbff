/**
 * Restoring a project on a standby from its newest replica (N27, N28), when the standby starts serving a
 * project it has never snapshotted itself (the first compute peer and its data directory are gone). The
 * documents replicate through Automerge sync, so they are the truth wherever this peer holds them as far as
 * the snapshot's recorded heads or further ("lacks nothing"): what the snapshot adds is the files. So, for
 * each file (or link) of the snapshot, by the project's entry at that path now:
 * - a text or notebook entry: restored only when this peer lacks that document's recorded heads (the file
 *   then brings the content back as new changes, N6); else the document writes it;
 * - a blob entry with the same SHA-256: restored (the bytes the entry names, which this peer may not hold);
 * - no entry: restored if the project had none at the snapshot's heads either (a file the documents never
 *   held: ignored files, `.git/`, files over the size limit), not if a member deleted it since;
 * - a folder entry, or an entry of another content: left as the documents have it.
 * Nothing in the workspace is removed.
 */
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import { decodeHeads, interpretAsDocumentId, type AutomergeUrl, type DocHandle, type DocumentId, type Repo, type UrlHeads } from '@automerge/automerge-repo'
import { readProject, type FileEntry } from '@quire/crdt'
import { TEMP_DIR, TEMP_PREFIX } from '../../workspace/disk-io.js'
import { restoreInto } from '../restore.js'
import { fileSha256 } from './shape.js'
import type { ReplicaStore } from './store.js'
import { ReplicaError } from './types.js'

export interface TakeoverInit {
  readonly store: ReplicaStore
  readonly workdir: string
  readonly repo: Repo
  readonly project: DocumentId
  /**
   * How long the documents may take to arrive from the other peers (the standby may have just connected to
   * them) before one still missing counts as lacking, ms, for all documents together. Default 15 s.
   */
  readonly waitMs?: number
}

export interface TakeoverResult {
  /** The replica restored from. */
  readonly snapshot: string
  /** Files and links written into the workspace. */
  readonly written: number
  /** Files of the snapshot left to the documents. */
  readonly skipped: number
  /** Documents whose recorded heads this peer lacks (their files came from the snapshot). */
  readonly lacking: readonly string[]
}

export async function restoreFromReplica(init: TakeoverInit): Promise<TakeoverResult> {
  const newest = (await init.store.list()).at(-1)
  if (newest === undefined) throw new ReplicaError('REPLICA_NOT_FOUND', `no replica of project ${init.project} is held here`)
  const heads = newest.heads ?? {}
  const deadline = Date.now() + (init.waitMs ?? 15_000)
  const find = async (id: DocumentId): Promise<DocHandle<unknown> | undefined> => {
    const signal = AbortSignal.timeout(Math.max(1, deadline - Date.now()))
    // Unavailable from the peers asked so far: it may still come from a peer that connects or answers later.
    const handle = await init.repo.find<unknown>(id, { allowableStates: ['ready', 'unavailable'], signal }).catch(() => undefined)
    if (handle !== undefined && !handle.isReady()) await handle.whenReady(['ready'], { signal }).catch(() => undefined)
    return handle?.isReady() === true ? handle : undefined
  }
  // Every recorded document is asked for at once, so one nobody has does not use up the others' wait.
  const handles = new Map(await Promise.all(Object.keys(heads).map(async (id) => [id, await find(id as DocumentId)] as const)))
  const holds = (id: string): boolean => {
    const handle = handles.get(id)
    return handle !== undefined && A.hasHeads(handle.doc() as A.Doc<unknown>, decodeHeads(heads[id] as UrlHeads))
  }
  const project = handles.get(init.project) ?? (await find(init.project))
  const now = new Map<string, FileEntry>()
  let then: Set<string> | undefined
  if (project !== undefined) {
    const read = readProject(project.doc())
    if (read.ok) for (const f of read.value.files) now.set(f.displayPath, f)
    if (holds(init.project)) {
      const old = readProject(A.view(project.doc() as A.Doc<unknown>, decodeHeads(heads[init.project] as UrlHeads)))
      if (old.ok) then = new Set(old.value.files.filter((f) => f.kind !== 'folder').map((f) => f.displayPath))
    }
  }
  const tree = init.store.tree(newest.id)
  let written = 0
  let skipped = 0
  const lacking = new Set<string>()
  const wanted = async (path: string, rel: string): Promise<boolean> => {
    const entry = now.get(rel)
    if (entry === undefined) return then === undefined || !then.has(rel)
    if (entry.kind === 'text' || entry.kind === 'notebook') {
      const id = interpretAsDocumentId(entry.url as AutomergeUrl)
      if (heads[id] === undefined || holds(id)) return false
      lacking.add(id)
      return true
    }
    if (entry.kind === 'blob') return (await lstat(path)).isFile() && (await fileSha256(path)) === entry.sha256
    return false
  }
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      if (name.startsWith(TEMP_PREFIX) || (rel === '' && name === TEMP_DIR)) continue
      const path = join(dir, name)
      const stat = await lstat(path)
      const p = rel + name
      if (stat.isDirectory()) {
        await walk(path, p + '/')
      } else if (stat.isFile() || stat.isSymbolicLink()) {
        if (await wanted(path, p)) written += (await restoreInto(init.workdir, p.split('/'), path, stat)).written
        else skipped++
      }
    }
  }
  await walk(tree, '')
  return { snapshot: newest.id, written, skipped, lacking: [...lacking] }
}
