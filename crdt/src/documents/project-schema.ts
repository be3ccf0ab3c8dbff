/**
 * The project document: name, description, owner, a file tree, settings and links to the project's grants
 * and chat documents.
 *
 * File entries are keyed by a stable random id with `path` as a field (not keyed by path). A rename then
 * writes one atomic field, so concurrent renames of one file leave one entry (last writer wins), and a
 * concurrent rename and edit of other fields (e.g. the entry's chat link) both survive. Keyed by path, a
 * rename is delete-plus-insert, and two concurrent renames would leave two copies of the file.
 * Two files created concurrently at one path get distinct ids, so both survive; readers show the later ones
 * under a deterministic conflict name (see `displayPath`).
 */
import * as A from '@automerge/automerge'
import type { ImmutableString } from '@automerge/automerge'
import { CrdtError } from '../errors.js'
import { atom, requirePeerId, requireTime, requireUrl } from './atoms.js'
import { DOCUMENT_TYPES, SCHEMA_VERSION } from './header.js'

/** What a file entry points to. */
export type FileKind = 'text' | 'notebook' | 'blob' | 'folder'
export const FILE_KINDS: readonly FileKind[] = ['text', 'notebook', 'blob', 'folder']

/** The stored shape of one file entry (strings are atomic, see atoms.ts). */
export interface StoredFileEntry {
  path: ImmutableString
  kind: ImmutableString
  /** Automerge URL of the text or notebook document. */
  url?: ImmutableString
  /** Blob: lowercase hex sha-256 of the content, its size in bytes and its MIME type. */
  sha256?: ImmutableString
  size?: number
  mime?: ImmutableString
  /** Automerge URL of this file's own chat, if it has one. */
  chatUrl?: ImmutableString | null
  createdAt: number
  createdBy?: ImmutableString
}

/** The stored shape of the project settings. */
export interface StoredSettings {
  computePeer: ImmutableString | null
  pinnedRelays: ImmutableString[]
  networkAccess: boolean
}

/** The stored shape of a project document. Read it with `readProject`, change it with the operations. */
export interface ProjectDoc {
  type: typeof DOCUMENT_TYPES.project
  schemaVersion: number
  name: ImmutableString
  /** Collaborative text. */
  description: string
  createdAt: number
  owner: ImmutableString
  files: Record<string, StoredFileEntry>
  settings: StoredSettings
  grantsUrl: ImmutableString | null
  chatUrl: ImmutableString | null
}

/** Project settings as readers return them and `setSettings` takes them. */
export interface ProjectSettings {
  /** Peer id of the compute peer that runs this project's code, or null for none. */
  readonly computePeer: string | null
  /** Peer ids of relays asked to host this project (a set: order is kept, duplicates are ignored). */
  readonly pinnedRelays: readonly string[]
  /** Whether code run for this project may use the network. Off unless a member turns it on. */
  readonly networkAccess: boolean
}

export const DEFAULT_SETTINGS: ProjectSettings = { computePeer: null, pinnedRelays: [], networkAccess: false }

/** What `createProject` needs. */
export interface ProjectInit {
  readonly name: string
  /** Peer id of the key that creates (and owns) the project. */
  readonly owner: string
  readonly description?: string
  /** Milliseconds since 1970; defaults to now. */
  readonly createdAt?: number
  readonly settings?: Partial<ProjectSettings>
  readonly grantsUrl?: string | null
  readonly chatUrl?: string | null
}

export const MAX_NAME_LENGTH = 256

export function requireName(name: string): string {
  if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME_LENGTH) {
    throw new CrdtError('INVALID_ARGUMENT', `A project name must be 1 to ${MAX_NAME_LENGTH} characters and not blank.`)
  }
  return name
}

export function storedRelays(relays: readonly string[]): ImmutableString[] {
  if (!Array.isArray(relays)) throw new CrdtError('INVALID_ARGUMENT', 'pinnedRelays must be a list of peer ids.')
  const unique = [...new Set(relays.map((r) => requirePeerId(r, 'A pinned relay')))]
  return unique.map(atom)
}

/**
 * A new project document (an Automerge document: change, clone and merge it directly, or pass it to
 * `repo.create(...)`).
 */
export function createProject(init: ProjectInit): A.Doc<ProjectDoc> {
  if (typeof init !== 'object' || init === null) throw new CrdtError('INVALID_ARGUMENT', 'createProject needs { name, owner }.')
  const settings = { ...DEFAULT_SETTINGS, ...init.settings }
  if (typeof settings.networkAccess !== 'boolean') throw new CrdtError('INVALID_ARGUMENT', 'networkAccess must be true or false.')
  const description = init.description ?? ''
  if (typeof description !== 'string') throw new CrdtError('INVALID_ARGUMENT', 'A project description must be a string.')
  const doc: ProjectDoc = {
    type: DOCUMENT_TYPES.project,
    schemaVersion: SCHEMA_VERSION,
    name: atom(requireName(init.name)),
    description,
    createdAt: requireTime(init.createdAt ?? Date.now(), 'createdAt'),
    owner: atom(requirePeerId(init.owner, 'The owner')),
    files: {},
    settings: {
      computePeer: settings.computePeer === null ? null : atom(requirePeerId(settings.computePeer, 'The compute peer')),
      pinnedRelays: storedRelays(settings.pinnedRelays),
      networkAccess: settings.networkAccess,
    },
    grantsUrl: init.grantsUrl == null ? null : atom(requireUrl(init.grantsUrl, 'grantsUrl')),
    chatUrl: init.chatUrl == null ? null : atom(requireUrl(init.chatUrl, 'chatUrl')),
  }
  return A.from(doc as unknown as Record<string, unknown>) as A.Doc<ProjectDoc>
}
