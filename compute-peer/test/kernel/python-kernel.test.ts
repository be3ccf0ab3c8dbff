import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KernelError, type KernelOutput, type KernelStatus } from '@quire/compute-peer'
import { executeCollect, startTestKernel, type TestKernel } from '@quire/compute-peer/testing'
import { ipcDirOf, kernelInterpreterPid, nextStatus, pidsMentioning, waitFor } from './process-helpers.js'

// A real ipykernel (Debian's python3-ipykernel, /usr/bin/python3) under bubblewrap, over ZeroMQ ipc sockets.
describe('python3 kernel in the sandbox', () => {
  let tk: TestKernel
  const progress: string[] = []

  beforeAll(async () => {
    tk = await startTestKernel({ onProgress: (message) => progress.push(message) })
  })
  afterAll(async () => {
    await tk?.dispose()
  })

  it('starts with progress messages and reports kernel_info', () => {
    expect(progress).toEqual(['starting sandbox', 'waiting for kernel', 'kernel ready'])
    expect(tk.kernel.status).toBe('idle')
    expect(tk.kernel.spec.name).toBe('python3')
    expect(tk.kernel.info?.protocolVersion).toMatch(/^5\./)
    expect(tk.kernel.info?.languageInfo.name).toBe('python')
  })

  it('1+1 gives an execute_result of 2, going busy then idle', async () => {
    const statuses: KernelStatus[] = []
    const listener = (status: KernelStatus) => statuses.push(status)
    tk.kernel.on('status', listener)
    const result = await executeCollect(tk.kernel, '1+1')
    tk.kernel.off('status', listener)
    expect(result.reply.status).toBe('ok')
    expect(result.outputs).toEqual([
      { type: 'execute_result', executionCount: result.reply.executionCount, data: { 'text/plain': '2' }, metadata: {} },
    ])
    expect(statuses).toEqual(['busy', 'idle'])
  })

  it('routes stdout and stderr streams to the request that printed them', async () => {
    const [a, b] = await Promise.all([
      executeCollect(tk.kernel, 'import sys\nprint("to stdout")\nprint("to stderr", file=sys.stderr)'),
      executeCollect(tk.kernel, 'print("second cell")'),
    ])
    expect(a.stdout).toBe('to stdout\n')
    expect(a.stderr).toBe('to stderr\n')
    expect(b.stdout).toBe('second cell\n')
    expect(b.stderr).toBe('')
  })

  it('an exception gives an error output with a traceback and reply status error', async () => {
    const result = await executeCollect(tk.kernel, 'def f():\n    raise ValueError("bad value")\nf()')
    expect(result.reply.status).toBe('error')
    const error = result.outputs.find((o) => o.type === 'error')
    expect(error).toMatchObject({ type: 'error', ename: 'ValueError', evalue: 'bad value' })
    // eslint-disable-next-line no-control-regex
    const traceback = (error as Extract<KernelOutput, { type: 'error' }>).traceback.join('\n').replace(/\x1b\[[0-9;]*m/g, '')
    expect(traceback).toContain('raise ValueError("bad value")')
  })

  it('a cell queued behind an error is aborted, one sent after the error reply runs', async () => {
    // The failing cell runs for a second before it raises, so the second request is surely queued behind it
    // when the error comes (sent together, a loaded machine could deliver it after the error reply, and then
    // it rightly runs).
    const [failed, queued] = await Promise.all([executeCollect(tk.kernel, 'import time\ntime.sleep(1)\nraise RuntimeError("x")'), executeCollect(tk.kernel, '"queued"')])
    expect(failed.reply.status).toBe('error')
    expect(queued.reply.status).toBe('aborted')
    expect(queued.outputs).toEqual([])
    for (let i = 0; i < 10; i++) {
      expect((await executeCollect(tk.kernel, 'raise RuntimeError("x")')).reply.status).toBe('error')
      expect((await executeCollect(tk.kernel, `${i}`)).outputs[0]).toMatchObject({ data: { 'text/plain': `${i}` } })
    }
  })

  it('input() does not hang: it gets an empty string and a note on stderr', async () => {
    const result = await executeCollect(tk.kernel, 'answer = input("name? ")\nprint(repr(answer))')
    expect(result.reply.status).toBe('ok')
    expect(result.stdout).toContain("''")
    expect(result.stderr).toContain('input() yet')
  })

  it('interrupts `while True: pass` within a few seconds and stays usable', async () => {
    const running = executeCollect(tk.kernel, 'while True:\n    pass')
    await waitFor(() => tk.kernel.status === 'busy', 5000, 'busy')
    await new Promise((resolve) => setTimeout(resolve, 300))
    const started = Date.now()
    await tk.kernel.interrupt()
    const result = await running
    // A bound that tells a hang (the loop never interrupted) from success, with room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(result.reply.status).toBe('error')
    expect(result.outputs.find((o) => o.type === 'error')).toMatchObject({ ename: 'KeyboardInterrupt' })
    expect((await executeCollect(tk.kernel, '6*7')).outputs[0]).toMatchObject({ data: { 'text/plain': '42' } })
  })

  it('an aborted signal drops the outputs, rejects, and interrupts the running cell', async () => {
    const controller = new AbortController()
    const outputs: KernelOutput[] = []
    const running = tk.kernel.execute('import time\nwhile True:\n    print("tick", flush=True)\n    time.sleep(0.05)', {
      onOutput: (output) => outputs.push(output),
      signal: controller.signal,
    })
    await waitFor(() => outputs.length > 0, 5000, 'first tick')
    controller.abort(new Error('cell cancelled'))
    await expect(running).rejects.toThrow('cell cancelled')
    const seen = outputs.length
    // The interrupt reaches the kernel: the next cell runs instead of waiting behind the loop forever.
    expect((await executeCollect(tk.kernel, '"free"')).outputs[0]).toMatchObject({ data: { 'text/plain': "'free'" } })
    expect(outputs.length).toBe(seen)
  })

  it('a matplotlib plot comes out as display_data with a PNG', async () => {
    const result = await executeCollect(
      tk.kernel,
      '%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.show()',
    )
    expect(result.reply.status).toBe('ok')
    const display = result.outputs.find((o) => o.type === 'display_data')
    if (display?.type !== 'display_data') throw new Error('no display_data output')
    const png = display.data['image/png']
    expect(typeof png).toBe('string')
    expect(Buffer.from(png as string, 'base64').subarray(1, 4).toString()).toBe('PNG')
  }, 90_000)

  it('restart clears the state and keeps the same workdir', async () => {
    await executeCollect(tk.kernel, 'kept = 42')
    const statuses: KernelStatus[] = []
    const listener = (status: KernelStatus) => statuses.push(status)
    tk.kernel.on('status', listener)
    await tk.kernel.restart()
    tk.kernel.off('status', listener)
    expect(statuses).toEqual(['restarting', 'idle'])
    const result = await executeCollect(tk.kernel, 'import os\nprint(os.getcwd())\nkept')
    expect(result.stdout.trim()).toBe(tk.workdir)
    expect(result.outputs.find((o) => o.type === 'error')).toMatchObject({ ename: 'NameError' })
  })
})

describe('python3 kernel lifecycle', () => {
  it('shutdown leaves no process and rejects later executes with KERNEL_DEAD', async () => {
    const tk = await startTestKernel()
    try {
      const ipcDir = ipcDirOf(tk.stateDir, tk.kernel)
      expect(pidsMentioning(ipcDir).length).toBeGreaterThan(0)
      await tk.kernel.shutdown()
      expect(tk.kernel.status).toBe('dead')
      expect(pidsMentioning(ipcDir)).toEqual([])
      const error = await tk.kernel.execute('1', { onOutput: () => undefined }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(KernelError)
      expect((error as KernelError).code).toBe('KERNEL_DEAD')
    } finally {
      await tk.dispose()
    }
  })

  it('a killed kernel process is detected as dead with a reason; the running cell resolves aborted', async () => {
    const tk = await startTestKernel()
    try {
      const running = executeCollect(tk.kernel, 'import time\ntime.sleep(60)')
      await waitFor(() => tk.kernel.status === 'busy', 5000, 'busy')
      const pid = kernelInterpreterPid(tk.stateDir, tk.kernel)
      expect(pid).toBeDefined()
      const dead = nextStatus(tk.kernel, 'dead')
      process.kill(pid!, 'SIGKILL')
      expect(await dead).toBe('killed by SIGKILL')
      const result = await running
      expect(result.reply).toEqual({ status: 'aborted', executionCount: null, reason: 'the kernel died (killed by SIGKILL)' })
      expect(pidsMentioning(ipcDirOf(tk.stateDir, tk.kernel))).toEqual([])
      // A dead kernel can be restarted.
      await tk.kernel.restart()
      expect((await executeCollect(tk.kernel, '2+2')).outputs[0]).toMatchObject({ data: { 'text/plain': '4' } })
    } finally {
      await tk.dispose()
    }
  })
})
