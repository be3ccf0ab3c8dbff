/**
 * The notebook document's types: what is stored (`NotebookDoc`), what callers pass in (`Output`,
 * `ExecutionState`), and what the reader returns (`NotebookRead`). Rules are numbered N* in crdt/SPEC.md.
 */
import type { ImmutableString } from '@automerge/automerge'
import type { Problem } from '../read/guards.js'

/** Plain JSON, as in a .ipynb file. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/** A JSON object (metadata, a JSON mime value). */
export interface JsonObject {
  [key: string]: JsonValue
}

/** JSON as stored in the document: strings are immutable (atomic) strings, never collaborative text. */
export type StoredJson = null | boolean | number | string | ImmutableString | StoredJson[] | { [key: string]: StoredJson }

/** A string field of the document: an atom (ImmutableString) or, if a peer wrote it so, text. */
export type StoredString = string | ImmutableString

export type CellType = 'code' | 'markdown' | 'raw'

export const CELL_TYPES: readonly CellType[] = ['code', 'markdown', 'raw']

/**
 * A large mime value kept out of the document as a content-addressed blob (fetched over the blob protocol).
 * `blob` is the sha-256 of the bytes (64 lowercase hex digits); `mime` is the bytes' media type.
 */
export interface OutputBlobRef {
  readonly blob: string
  readonly size: number
  readonly mime: string
}

/**
 * A mime bundle: media type to value. Text-like types hold a string (base64 for binary images); JSON types
 * (`application/json`, `application/*+json`) hold any JSON; any type may hold a {@link OutputBlobRef} instead.
 */
export type MimeBundle = Record<string, string | JsonValue | OutputBlobRef>

/** Text written to stdout or stderr. Consecutive stream outputs of one name merge into one. */
export interface StreamOutput {
  readonly output_type: 'stream'
  readonly name: string
  readonly text: string
}

/** Rich output from a display call. */
export interface DisplayDataOutput {
  readonly output_type: 'display_data'
  readonly data: MimeBundle
  readonly metadata: JsonObject
}

/** The value of the last expression of a cell. */
export interface ExecuteResultOutput {
  readonly output_type: 'execute_result'
  readonly data: MimeBundle
  readonly metadata: JsonObject
  readonly execution_count: number | null
}

/** An exception raised while running a cell. */
export interface ErrorOutput {
  readonly output_type: 'error'
  readonly ename: string
  readonly evalue: string
  readonly traceback: readonly string[]
}

/** One output of a code cell, shaped as in nbformat 4. */
export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput

/** An output the reader could not make sense of (shown as broken, skipped on export). */
export interface BrokenOutput {
  readonly output_type: 'broken'
  readonly problems: readonly Problem[]
}

export type ExecutionStatus = 'idle' | 'queued' | 'running' | 'done' | 'error'

export const EXECUTION_STATUSES: readonly ExecutionStatus[] = ['idle', 'queued', 'running', 'done', 'error']

/**
 * Where a code cell is in its run: requested (`queued`), being run by a compute peer (`running`), finished
 * (`done`, or `error` if the kernel reported an error or could not run it), or never asked (`idle`).
 * Times are milliseconds since 1970; `requestedBy` is the libp2p peer id of who asked.
 */
export interface ExecutionState {
  readonly status: ExecutionStatus
  readonly requestedBy?: string
  readonly requestedAt?: number
  readonly startedAt?: number
  readonly finishedAt?: number
}

/** Kernel information, as in nbformat's `metadata.kernelspec`. */
export interface Kernelspec {
  readonly name: string
  readonly display_name: string
  readonly language?: string
}

/** Fields every stored cell has. */
export interface CellDocBase {
  id: StoredString
  source: string
  metadata: { [key: string]: StoredJson }
}

/** A stored output: nbformat-shaped, strings atomic, except a stream's `text`, which is text (cheap to append). */
export type OutputDoc = { [key: string]: StoredJson }

export interface CodeCellDoc extends CellDocBase {
  cellType: 'code'
  outputs: OutputDoc[]
  executionCount: number | null
  execution: { [key: string]: StoredJson }
}

export interface MarkdownCellDoc extends CellDocBase {
  cellType: 'markdown'
  attachments: { [name: string]: { [mime: string]: StoredJson } }
}

export interface RawCellDoc extends CellDocBase {
  cellType: 'raw'
  attachments: { [name: string]: { [mime: string]: StoredJson } }
}

export type CellDoc = CodeCellDoc | MarkdownCellDoc | RawCellDoc

/**
 * The notebook document as stored in Automerge. Never trust this shape when reading (a peer may have written
 * anything): read through {@link NotebookRead} (`readNotebook`) and write through the notebook operations.
 */
export interface NotebookDoc {
  type: StoredString
  schemaVersion: number
  metadata: { [key: string]: StoredJson }
  /** Display order. May hold duplicates or stale ids after concurrent moves; the reader resolves them. */
  cellOrder: StoredString[]
  cells: { [id: string]: CellDoc }
  /**
   * Interrupt and restart requests of members (N23-N25), created empty with the notebook so that two peers'
   * first requests land in one map instead of two conflicting ones. Older notebooks may lack it.
   */
  kernelRequests?: { [id: string]: StoredJson }
}

/** A cell as the reader returns it: validated, defaults filled in, strings as plain JS strings. */
export interface CodeCellRead {
  readonly cellType: 'code'
  readonly id: string
  readonly source: string
  readonly metadata: JsonObject
  readonly outputs: readonly (Output | BrokenOutput)[]
  readonly executionCount: number | null
  readonly execution: ExecutionState
}

export interface TextCellRead {
  readonly cellType: 'markdown' | 'raw'
  readonly id: string
  readonly source: string
  readonly metadata: JsonObject
  readonly attachments: Readonly<Record<string, MimeBundle>>
}

/** A cell that is in the document but malformed (not an object, unknown type, no source, bad id). */
export interface BrokenCell {
  readonly cellType: 'broken'
  readonly id: string
  readonly problems: readonly Problem[]
}

export type CellRead = CodeCellRead | TextCellRead | BrokenCell

/** What `readNotebook` returns for any value: cells in display order, and every problem it tolerated. */
export interface NotebookRead {
  readonly schemaVersion: number
  /** Notebook metadata; `kernelspec` and `language_info` are present only when well formed. */
  readonly metadata: JsonObject
  readonly kernelspec: Kernelspec | undefined
  readonly cells: readonly CellRead[]
  readonly problems: readonly Problem[]
}
