/**
 * The project, text and chat documents: schemas, operations (run inside `Automerge.change` or
 * `handle.change`) and readers that accept any value and never throw.
 */
export {
  DOCUMENT_TYPES,
  SCHEMA_VERSION,
  type DocumentType,
  type DocumentReadResult,
} from './header.js'
export { MAX_PATH_LENGTH, MAX_SEGMENT_BYTES, pathProblem, newPathProblem, isValidPath, parentPath, baseName } from './paths.js'

export { createText, spliceText, setText, applyTextSplices, readText, type TextDoc, type TextChunk, type TextRead, type TextSplice } from './text.js'
export { textChunkLimit, setTextChunkLimit, type TextLayout } from './text-chunks.js'
export { textLayout, flatTextChanges, textCursor, textCursorPosition, type FlatTextChange } from './text-patches.js'
export { textAt, diffLines, type LineDiffPart } from './text-history.js'

export {
  createProject,
  DEFAULT_SETTINGS,
  type FileKind,
  type ProjectDoc,
  type ProjectInit,
  type ProjectSettings,
  type StoredFileEntry,
  type StoredSettings,
} from './project-schema.js'
export {
  addFile,
  renameFile,
  renamePath,
  addFiles,
  deleteFile,
  deletePath,
  setBlob,
  setFileChat,
  setProjectName,
  setDescription,
  setSettings,
  setProjectLinks,
  type BlobRef,
  type NewFile,
} from './project-ops.js'
export { readProject, type ProjectRead, type FileEntry, type BrokenFileEntry } from './project-read.js'
export { listTree, type TreeNode, type FolderNode, type FileNode } from './project-tree.js'

export {
  createChat,
  postMessage,
  editMessage,
  deleteMessage,
  MAX_MESSAGE_LENGTH,
  type ChatDoc,
  type ChatInit,
  type NewMessage,
  type StoredMessage,
} from './chat.js'
export { readChat, countUnread, type ChatRead, type ChatMessage, type BrokenMessage } from './chat-read.js'

export {
  LATEX_ENGINES,
  LATEX_RUN_STATUSES,
  LATEX_BUILD_STATUSES,
  LATEX_BUILD_CODES,
  MAX_DIAGNOSTICS,
  MAX_DIAGNOSTIC_MESSAGE,
  MAX_BUILD_MESSAGE,
  type LatexEngine,
  type LatexBuildRequest,
  type LatexRunStatus,
  type LatexRun,
  type LatexBuildStatus,
  type LatexBlobRef,
  type LatexDiagnostic,
  type LatexBuild,
  type LatexRead,
  type LatexActivity,
} from './latex-types.js'
export { setLatexEngine, requestBuild, setBuildRun, setBuildOutcome, isLatexRequestId, type LatexRequestInit } from './latex-build.js'
export { readLatex, latexActivity, latexMaps } from './latex-read.js'
