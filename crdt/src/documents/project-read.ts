/**
 * Reading a project document from any value: a bad file entry becomes a broken entry, bad settings fall
 * back to safe defaults (network off), and the rest stays usable.
 */
import { CrdtError } from '../errors.js'
import { asBoolean, asInteger, asNumber, asString, isRecord, type Problem } from '../read/guards.js'
import { isAutomergeUrl, isPeerIdString, isValidId } from './atoms.js'
import { DOCUMENT_TYPES, readHeader, safeRead, type DocumentReadResult } from './header.js'
import { pathProblem } from './paths.js'
import { DEFAULT_SETTINGS, FILE_KINDS, type FileKind, type ProjectSettings } from './project-schema.js'
import { assignDisplayPaths } from './project-tree.js'

interface FileEntryCommon {
  /** Stable id: the key of the entry; use it to rename, move or delete this very file. */
  readonly id: string
  /** Where the file is, as stored. Several entries can share a path after concurrent creation. */
  readonly path: string
  /** Where to show the file: `path`, or a deterministic conflict name when another entry has the path. */
  readonly displayPath: string
  /** True when `displayPath` differs from `path` because of a conflict; the UI may offer a rename. */
  readonly conflict: boolean
  readonly createdAt: number | null
  readonly createdBy: string | null
  /** Automerge URL of this file's own chat, or null. */
  readonly chatUrl: string | null
}

/** A readable file entry, by kind. */
export type FileEntry = FileEntryCommon &
  (
    | { readonly kind: 'text' | 'notebook'; readonly url: string }
    | { readonly kind: 'blob'; readonly sha256: string; readonly size: number; readonly mime: string }
    | { readonly kind: 'folder' }
  )

/** A file entry that could not be read; shown as broken, never silently dropped. */
export interface BrokenFileEntry {
  readonly id: string
  /** The stored path if it was readable. */
  readonly path: string | null
  readonly reason: string
}

/** What {@link readProject} returns for a readable project. */
export interface ProjectRead {
  readonly schemaVersion: number
  readonly name: string
  readonly description: string
  readonly createdAt: number | null
  readonly owner: string | null
  /** Readable entries, sorted by `displayPath`. */
  readonly files: readonly FileEntry[]
  readonly brokenFiles: readonly BrokenFileEntry[]
  readonly settings: ProjectSettings
  readonly grantsUrl: string | null
  readonly chatUrl: string | null
}

/** An entry before display paths are assigned. */
export type RawFileEntry = FileEntry extends infer E ? (E extends unknown ? Omit<E, 'displayPath' | 'conflict'> : never) : never

/** Reads any value as a project document; never throws. */
export function readProject(doc: unknown): DocumentReadResult<ProjectRead> {
  return safeRead(DOCUMENT_TYPES.project, () => {
    const problems: Problem[] = []
    const header = readHeader(doc, DOCUMENT_TYPES.project, problems)
    if (header instanceof CrdtError) return { ok: false, error: header }
    const root = header.root
    const { files, broken } = readFiles(root['files'], problems)
    const value: ProjectRead = {
      schemaVersion: header.schemaVersion,
      name: field(asString(root['name']), '', '/name', problems),
      description: field(asString(root['description']), '', '/description', problems),
      createdAt: field(asNumber(root['createdAt']), null, '/createdAt', problems),
      owner: field(nonEmpty(asString(root['owner'])), null, '/owner', problems),
      files: assignDisplayPaths(files),
      brokenFiles: broken,
      settings: readSettings(root['settings'], problems),
      grantsUrl: optionalUrl(root['grantsUrl'], '/grantsUrl', problems),
      chatUrl: optionalUrl(root['chatUrl'], '/chatUrl', problems),
    }
    return { ok: true, value, problems }
  })
}

function readFiles(value: unknown, problems: Problem[]): { files: RawFileEntry[]; broken: BrokenFileEntry[] } {
  const files: RawFileEntry[] = []
  const broken: BrokenFileEntry[] = []
  if (value === undefined || !isRecord(value)) {
    problems.push({ path: '/files', message: 'missing or not a map; the project shows no files' })
    return { files, broken }
  }
  for (const id of Object.keys(value).sort()) {
    const entry = readFileEntry(id, value[id], problems)
    if ('reason' in entry) {
      broken.push(entry)
      problems.push({ path: `/files/${id}`, message: entry.reason })
    } else {
      files.push(entry)
    }
  }
  return { files, broken }
}

/** One stored entry as a readable entry or a broken one (optional fields that are junk only add problems). */
export function readFileEntry(id: string, raw: unknown, problems: Problem[]): RawFileEntry | BrokenFileEntry {
  const at = `/files/${id}`
  if (!isValidId(id)) return { id, path: null, reason: 'the entry id is not a valid id' }
  if (!isRecord(raw)) return { id, path: null, reason: 'the entry is not a map' }
  const path = asString(raw['path'])
  if (path === undefined) return { id, path: null, reason: 'the entry has no path' }
  const bad = pathProblem(path)
  if (bad !== undefined) return { id, path, reason: `the entry path is invalid: ${bad}` }
  const kindText = asString(raw['kind'])
  const kind = FILE_KINDS.find((k) => k === kindText)
  if (kind === undefined) return { id, path, reason: `unknown file kind "${String(kindText).slice(0, 40)}"` }
  const common = {
    id,
    path,
    createdAt: optional(asNumber(raw['createdAt']), raw['createdAt'], `${at}/createdAt`, problems),
    createdBy: optional(nonEmpty(asString(raw['createdBy'])), raw['createdBy'], `${at}/createdBy`, problems),
    chatUrl: optionalUrl(raw['chatUrl'], `${at}/chatUrl`, problems),
  }
  return readKindFields(kind, raw, common)
}

function readKindFields(
  kind: FileKind,
  raw: Record<string, unknown>,
  common: Omit<FileEntryCommon, 'displayPath' | 'conflict'>,
): RawFileEntry | BrokenFileEntry {
  if (kind === 'folder') return { ...common, kind }
  if (kind === 'text' || kind === 'notebook') {
    const url = asString(raw['url'])
    if (!isAutomergeUrl(url)) return { id: common.id, path: common.path, reason: `a ${kind} entry needs an Automerge URL` }
    return { ...common, kind, url }
  }
  const sha256 = asString(raw['sha256'])
  const size = asInteger(raw['size'])
  const mime = asString(raw['mime'])
  if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256)) {
    return { id: common.id, path: common.path, reason: 'a blob entry needs a lowercase hex sha-256' }
  }
  if (size === undefined || size < 0) return { id: common.id, path: common.path, reason: 'a blob entry needs a size >= 0' }
  if (mime === undefined || !isMime(mime)) return { id: common.id, path: common.path, reason: 'a blob entry needs a MIME type' }
  return { ...common, kind, sha256, size, mime }
}

export function isMime(value: string): boolean {
  return /^[\w.+-]{1,127}\/[\w.+-]{1,127}$/.test(value)
}

function readSettings(value: unknown, problems: Problem[]): ProjectSettings {
  if (!isRecord(value)) {
    problems.push({ path: '/settings', message: 'missing or not a map; using defaults (no compute peer, network off)' })
    return DEFAULT_SETTINGS
  }
  const computeRaw = value['computePeer']
  const compute = computeRaw === null ? null : asString(computeRaw)
  const computePeer = compute === null || isPeerIdString(compute) ? compute : null
  if (computePeer === null && computeRaw !== null) problems.push({ path: '/settings/computePeer', message: 'not a peer id; read as none' })
  const relays: string[] = []
  if (Array.isArray(value['pinnedRelays'])) {
    value['pinnedRelays'].forEach((item: unknown, i: number) => {
      const relay = asString(item)
      if (isPeerIdString(relay)) {
        if (!relays.includes(relay)) relays.push(relay)
      } else problems.push({ path: `/settings/pinnedRelays/${i}`, message: 'not a peer id; ignored' })
    })
  } else problems.push({ path: '/settings/pinnedRelays', message: 'not a list; read as none' })
  const network = asBoolean(value['networkAccess'])
  // Anything but an explicit `true` keeps code off the network.
  if (network === undefined) problems.push({ path: '/settings/networkAccess', message: 'not a boolean; read as false' })
  return { computePeer, pinnedRelays: relays, networkAccess: network === true }
}

function field<T>(value: T | undefined, fallback: T, path: string, problems: Problem[]): T {
  if (value !== undefined) return value
  problems.push({ path, message: 'missing or of the wrong type' })
  return fallback
}

/** An optional field: absent or null reads as null silently; junk reads as null with a problem. */
function optional<T>(value: T | undefined, raw: unknown, path: string, problems: Problem[]): T | null {
  if (value !== undefined) return value
  if (raw !== undefined && raw !== null) problems.push({ path, message: 'of the wrong type; ignored' })
  return null
}

function optionalUrl(raw: unknown, path: string, problems: Problem[]): string | null {
  const url = asString(raw)
  return optional(isAutomergeUrl(url) ? url : undefined, raw, path, problems)
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}
