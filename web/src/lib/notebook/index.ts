/**
 * The notebook UI: `NotebookView` and what it needs. See README.md in this folder for the props and how
 * the app wires it in for files of kind `notebook`.
 */
export { default as NotebookView } from './components/NotebookView.svelte'
export { NotebookState, type NotebookMode, type NotebookStateOptions } from './notebook-state.svelte.js'
export { kernelBanner, NO_COMPUTE_PEER, type ComputePeersInfo, type ComputeServing, type KernelBanner } from './kernel-status.js'
export { importNotebookFile, importNotebookText, exportNotebookText, downloadNotebook, NotebookIoError } from './ipynb-io.js'
export type { BlobStore, ImportedNotebook, NotebookSelf } from './types.js'
