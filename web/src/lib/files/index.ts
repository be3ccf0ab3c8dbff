/** The project file tree and the file operations behind it. */
export { default as FileTree } from './FileTree.svelte'
export { ProjectFiles } from './project-files.svelte.js'
export {
  createFile,
  createFolder,
  deleteEntry,
  deleteFolder,
  joinPath,
  moveFile,
  moveFolder,
  projectFiles,
  uploadFiles,
  FileOpError,
  type BlobStore,
  type FileContext,
  type FileOpErrorCode,
  type UploadInput,
  type UploadResult,
} from './file-ops.js'
export { fileBytes, notebookFile, projectZip, type ExportContext, type ZipProblem } from './project-export.js'
export { saveBytes } from './save-bytes.js'
export { chooseMime, mimeOf, textContentOf, MAX_TEXT_DOC_BYTES } from './file-kinds.js'
