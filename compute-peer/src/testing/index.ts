export {}
export { startTestKernel, executeCollect, type TestKernel, type StartTestKernelOptions, type ExecutionResult } from './kernels.js'
export { computeCliPath, startComputeProcess, type ComputeProcessInfo } from './compute-process.js'
export { measureKernel, type KernelMeasurement } from './measure-kernel.js'
