export {}
export { startTestKernel, executeCollect, type TestKernel, type StartTestKernelOptions, type ExecutionResult } from './kernels.js'
export { computeCliPath, notebookMemberPath, startComputeProcess, startMemberWithCompute, startNotebookMember, type ComputeProcessInfo, type MemberWithCompute } from './compute-process.js'
export type { MemberCellReport, NotebookMemberCommands } from './notebook-member.js'
export { measureKernel, type KernelMeasurement } from './measure-kernel.js'
export { adapterPair } from './adapter-pair.js'
export { ScreenViewer, freshScreen } from './terminal-viewer.js'
export { runSnapshotDriverTests, type SnapshotDriverTestContext } from './snapshot-driver-suite.js'
