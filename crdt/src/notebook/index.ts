/**
 * The notebook document (nbformat 4 shaped, rules N*) and .ipynb import/export (rules I*). Operations take
 * the mutable document inside `Automerge.change` / `handle.change`; read only through `readNotebook`.
 */
export type {
  OutputBlobRef,
  BrokenCell,
  BrokenOutput,
  CellRead,
  CellType,
  CodeCellRead,
  DisplayDataOutput,
  ErrorOutput,
  ExecuteResultOutput,
  ExecutionState,
  ExecutionStatus,
  JsonObject,
  JsonValue,
  Kernelspec,
  MimeBundle,
  NotebookDoc,
  NotebookRead,
  Output,
  StreamOutput,
  TextCellRead,
} from './types.js'
export { CELL_TYPES, EXECUTION_STATUSES } from './types.js'
export { createNotebook, setKernelspec, NOTEBOOK_SCHEMA_VERSION, NOTEBOOK_TYPE, type NotebookInit } from './create-notebook.js'
export { insertCell, deleteCell, moveCell, editSource, setCellType, type CellInit } from './cell-ops.js'
export { appendOutput, clearOutputs, setExecutionCount, setExecutionState } from './output-ops.js'
export { readNotebook } from './read-notebook.js'
export { isCellId } from './cell-id.js'
export { importIpynb, NBFORMAT_MINOR } from './ipynb-import.js'
export { exportIpynb, type ExportIpynbOptions } from './ipynb-export.js'
export type * from './ipynb-types.js'
export type { KernelStatusName, KernelAction, KernelState, KernelRequest, OfferedKernel, ComputeOffer, KernelRead } from './kernel-types.js'
export { KERNEL_STATUSES, KERNEL_ACTIONS } from './kernel-types.js'
export { setKernelState, requestKernel, markKernelRequestHandled, pruneKernelRequests, setComputeOffer, type KernelRequestInit } from './kernel-ops.js'
export { readKernel } from './kernel-read.js'
export { appendDisplayData, updateDisplayData, displayIdOf } from './kernel-display.js'
