/**
 * The workspace's contract: the project's files materialised in one directory and kept in sync with the
 * project's documents both ways. The daemon (later the per-project runtime) starts one per served project.
 */
import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo'
import type { ProjectDoc } from '@quire/crdt'

/** Stable codes of what the workspace skipped or could not do; each names one path (or '' for the whole). */
export type WorkspaceProblemCode =
  /** A file name is not valid UTF-8 or breaks the project's path rules (control characters, `\`). */
  | 'WORKSPACE_BAD_NAME'
  /** A path longer than a project path may be (crdt P3: 4,096 characters). */
  | 'WORKSPACE_PATH_TOO_LONG'
  /** A symbolic link: never followed, stays on disk only. */
  | 'WORKSPACE_SYMLINK'
  /** A FIFO, socket or device file: never opened, stays on disk only. */
  | 'WORKSPACE_SPECIAL_FILE'
  /** A file over `limits.maxFileBytes`: stays on disk only. */
  | 'WORKSPACE_FILE_TOO_LARGE'
  /** More files than `limits.maxFiles`: new files stay on disk only. */
  | 'WORKSPACE_TOO_MANY_FILES'
  /** The files together would pass `limits.maxTotalBytes`: new or grown files stay on disk only. */
  | 'WORKSPACE_FULL'
  /** A blob entry whose bytes are not in the blob store (and could not be fetched): written when they arrive. */
  | 'WORKSPACE_BLOB_MISSING'
  /** A `.ipynb` file on disk that does not parse: the notebook document keeps its last good version. */
  | 'WORKSPACE_NOTEBOOK_INVALID'
  /** A new file on disk at a path a document entry has taken meanwhile: the document's version is kept. */
  | 'WORKSPACE_PATH_TAKEN'
  /** Reading, writing or watching failed (permissions, disk full): the message has the system's reason. */
  | 'WORKSPACE_IO_FAILED'

/** One thing the workspace skipped or could not do. */
export interface WorkspaceProblem {
  readonly code: WorkspaceProblemCode
  /** The workspace-relative path, as well as it can be shown. */
  readonly path: string
  readonly message: string
}

/** Limits; every one has a default. */
export interface WorkspaceLimits {
  /** Larger files stay on disk only (`WORKSPACE_FILE_TOO_LARGE`). Default 256 MiB. */
  readonly maxFileBytes: number
  /** Text files up to this size become text documents; larger ones become blobs. Default 1 MiB. */
  readonly maxTextBytes: number
  /** Files (entries) at most (`WORKSPACE_TOO_MANY_FILES`). Default 20,000. */
  readonly maxFiles: number
  /** Bytes of all files at most (`WORKSPACE_FULL`). Default 2 GiB. */
  readonly maxTotalBytes: number
}

/** Timing of the disk side. */
export interface WorkspaceTiming {
  /** Disk events are read once no event came for this long, so a file written in steps is read whole. Default 100. */
  readonly quietMs: number
  /** ... but never later than this after the first unread event (a file appended to forever). Default 2000. */
  readonly maxDelayMs: number
  /** A missing blob is looked for again after this long. Default 5000. */
  readonly retryMs: number
  /**
   * The directory listing is compared with the records this often (names only, no reads), for what the
   * watcher never reports: it drops a create and a delete of one path in one batch even when the "create"
   * was a rename over a file that existed. Default 10000.
   */
  readonly listingCheckMs: number
}

/** Where the workspace stands; `problems` lists what is skipped right now. */
export interface WorkspaceStatus {
  readonly state: 'starting' | 'syncing' | 'idle' | 'full' | 'stopped'
  /** Paths and documents waiting to be synced. */
  readonly pending: number
  readonly problems: readonly WorkspaceProblem[]
}

/** Counters, for tests and metrics. */
export interface WorkspaceStats {
  /** Files written from documents. */
  filesWritten: number
  /** Files removed or moved on disk because their entries were deleted or renamed. */
  filesRemoved: number
  filesMoved: number
  /** Disk changes made into document changes (new entries, edits, renames, deletions). */
  changesFromDisk: number
  /** Disk reads that found the bytes last written or read (a touch, our own write): nothing to do. */
  unchangedReads: number
  /**
   * Disk reads that made a document change out of what the document already held: an echo of our own write.
   * Always 0 when the workspace works; tests assert it.
   */
  echoWrites: number
  /** Full rescans of the directory (start, watcher overflow or error). */
  rescans: number
  /** Changes made to the project document from disk; a batch of disk events makes a few, not one per file (W21). */
  projectChanges: number
  /** Files a rescan did not read because their size, mtime and ctime were what the record saw (W22). */
  statOnly: number
  /** Files read (opened and hashed) from disk. */
  filesRead: number
  /**
   * Passes of the writer that read the whole project document; the others worked from the records, the project
   * being as it was when they last held all of its entries (W41).
   */
  projectReads: number
}

/** The blob store the workspace reads blob entries from and puts new binary files into (`BlobStore` fits). */
export interface WorkspaceBlobs {
  get(hash: string): Promise<Uint8Array | undefined>
  /** Stores the bytes and returns their lowercase hex sha-256. */
  put(bytes: Uint8Array): Promise<string>
  /** Fetches a blob this store lacks from peers, if the caller can; resolves undefined when it cannot. */
  fetch?(hash: string, signal: AbortSignal): Promise<Uint8Array | undefined>
}

/** What {@link startWorkspace} needs. */
export interface WorkspaceInit {
  readonly repo: Repo
  /** The project document (a ready handle, or its URL to find). */
  readonly project: DocHandle<ProjectDoc> | AutomergeUrl
  /** The workspace directory (created if missing). */
  readonly dir: string
  /**
   * Where the workspace remembers, per file, what it last wrote or read (heads and hash), so a restart knows
   * the base of a disk edit made while it was stopped. Outside `dir`, in the compute peer's data directory.
   */
  readonly stateFile: string
  readonly blobs: WorkspaceBlobs
  /** The compute peer's id, written as `createdBy` of entries made from disk. */
  readonly peerId?: string
  readonly signal?: AbortSignal
  readonly limits?: Partial<WorkspaceLimits>
  readonly timing?: Partial<WorkspaceTiming>
  readonly log?: (line: string) => void
}

/** A running workspace. */
export interface Workspace {
  readonly dir: string
  readonly status: WorkspaceStatus
  readonly stats: Readonly<WorkspaceStats>
  /** Calls `listener` on every status change; returns the unsubscribe. */
  onStatus(listener: (status: WorkspaceStatus) => void): () => void
  /** Reads every disk event seen so far now (no quiet period), then writes documents out; resolves when done. */
  flush(): Promise<void>
  /** Resolves once nothing is pending on either side (disk events included, after their quiet period). */
  whenIdle(): Promise<void>
  /** Stops watching and syncing; what was synced is remembered in `stateFile`. */
  stop(): Promise<void>
}

export const DEFAULT_LIMITS: WorkspaceLimits = {
  maxFileBytes: 256 * 1024 * 1024,
  maxTextBytes: 1024 * 1024,
  maxFiles: 20_000,
  maxTotalBytes: 2 * 1024 * 1024 * 1024,
}

export const DEFAULT_TIMING: WorkspaceTiming = { quietMs: 100, maxDelayMs: 2000, retryMs: 5000, listingCheckMs: 10_000 }
