import { describe, expect, it } from 'vitest'
import { findKernelSpecs } from '@quire/compute-peer'
import { executeCollect, startTestKernel } from '@quire/compute-peer/testing'

const sage = (await findKernelSpecs()).find((spec) => spec.name === 'sagemath')
if (!sage) console.log('Sage kernel test not run: no `sagemath` kernelspec on this host (apt-get install sagemath sagemath-jupyter)')

describe.runIf(sage)('SageMath kernel in the sandbox', () => {
  it('factors 2^64+1', async () => {
    // Sage takes a few seconds to start; the start timeout is generous.
    const tk = await startTestKernel({ specName: 'sagemath', startTimeoutMs: 120_000 })
    try {
      expect(tk.kernel.info?.implementation).toBe('sage')
      const result = await executeCollect(tk.kernel, 'factor(2^64+1)')
      expect(result.reply.status).toBe('ok')
      expect(result.outputs).toEqual([
        { type: 'execute_result', executionCount: 1, data: { 'text/plain': '274177 * 67280421310721' }, metadata: {} },
      ])
    } finally {
      await tk.dispose()
    }
  }, 180_000)
})
