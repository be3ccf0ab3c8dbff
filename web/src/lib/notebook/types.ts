/**
 * What NotebookView needs from the app, as plain interfaces: the component reaches nothing global.
 */

/** The local member: who runs cells and whose cursor is shown to others. */
export interface NotebookSelf {
  /** This browser's libp2p peer id (written as `requestedBy`). */
  readonly peerId: string
  readonly name: string
  /** A CSS colour for this member's cursor and marks. */
  readonly color: string
}

/** Content-addressed blobs (sha-256 hex), fetched and stored over the blob protocol. */
export interface BlobStore {
  /** The bytes of a blob; rejects when no peer has it. */
  get(hash: string): Promise<Uint8Array>
  /** Stores bytes and resolves to their sha-256 hex. */
  put(bytes: Uint8Array, mime: string): Promise<string>
}

/** A notebook imported from a .ipynb file, for the app to add to the project. */
export interface ImportedNotebook {
  /** The file name without `.ipynb`, as a suggestion for the new file's name. */
  readonly name: string
  /** The document saved with `Automerge.save`: give it to `repo.import(bytes)` to get a handle. */
  readonly bytes: Uint8Array
}
