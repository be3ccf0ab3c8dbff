import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKernelLauncher, probeSandboxHost, type KernelError, type KernelLauncher } from '@quire/compute-peer'
import { executeCollect, startTestKernel } from '@quire/compute-peer/testing'
import { pidsMentioning, waitFor } from './process-helpers.js'

describe('kernel control', () => {
  let root: string
  let launcher: KernelLauncher

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'quire-control-'))
    await mkdir(join(root, 'project'))
    // The system python3 kernelspec, declared with interrupt_mode "message" (interrupt_request on control).
    const system = JSON.parse(await readFile('/usr/share/jupyter/kernels/python3/kernel.json', 'utf8')) as Record<string, unknown>
    await mkdir(join(root, 'jupyter', 'kernels', 'python3-message'), { recursive: true })
    await writeFile(join(root, 'jupyter', 'kernels', 'python3-message', 'kernel.json'), JSON.stringify({ ...system, interrupt_mode: 'message' }))
    // A kernel that never answers: for start timeouts and for stopping a launcher during a start.
    await mkdir(join(root, 'jupyter', 'kernels', 'silent'), { recursive: true })
    await writeFile(join(root, 'jupyter', 'kernels', 'silent', 'kernel.json'), JSON.stringify({ argv: ['/bin/sh', '-c', 'sleep 600', '{connection_file}'] }))
    launcher = await createKernelLauncher({ stateDir: join(root, 'state'), dataDirs: [join(root, 'jupyter'), '/usr/share/jupyter'] })
  })
  afterAll(async () => {
    await launcher?.stopAll()
    await rm(root, { recursive: true, force: true })
  })

  it('interrupts over the control channel when the kernelspec asks for interrupt_mode message', async () => {
    const kernel = await launcher.start('python3-message', { workdir: join(root, 'project') })
    expect(kernel.spec.interruptMode).toBe('message')
    const running = executeCollect(kernel, 'import time\nwhile True:\n    time.sleep(0.01)')
    await waitFor(() => kernel.status === 'busy', 5000, 'busy')
    await kernel.interrupt()
    const result = await running
    expect(result.outputs.find((o) => o.type === 'error')).toMatchObject({ ename: 'KeyboardInterrupt' })
    expect((await executeCollect(kernel, '5+5')).outputs[0]).toMatchObject({ data: { 'text/plain': '10' } })
    await kernel.shutdown()
  })

  it('a cell sent right after restart() runs on the new kernel', async () => {
    const kernel = await launcher.start('python3', { workdir: join(root, 'project') })
    await executeCollect(kernel, 'before_restart = 1')
    const restarting = kernel.restart()
    const result = await executeCollect(kernel, '"before_restart" in globals()')
    await restarting
    expect(result.outputs[0]).toMatchObject({ data: { 'text/plain': 'False' } })
    await kernel.shutdown()
  })

  it('a start can be aborted, leaving nothing behind', async () => {
    const controller = new AbortController()
    const progress: string[] = []
    const starting = launcher.start('python3', {
      workdir: join(root, 'project'),
      signal: controller.signal,
      onProgress: (message) => {
        progress.push(message)
        if (message === 'waiting for kernel') controller.abort(new Error('user gave up'))
      },
    })
    await expect(starting).rejects.toThrow('user gave up')
    expect(progress).toEqual(['starting sandbox', 'waiting for kernel'])
  })

  it('a kernel that never answers fails with KERNEL_START_FAILED after the start timeout', async () => {
    const started = Date.now()
    const error = await launcher.start('silent', { workdir: join(root, 'project'), startTimeoutMs: 1500 }).catch((e: unknown) => e)
    expect((error as KernelError).code).toBe('KERNEL_START_FAILED')
    expect((error as KernelError).message).toContain('did not answer within 2 s')
    // The 1.5 s timeout applied, not the 60 s default: the bound only tells the two apart.
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(pidsMentioning(join(root, 'state'))).toEqual([])
  })

  it('stopAll during a start ends it at once and leaves no process', async () => {
    const other = await createKernelLauncher({ stateDir: join(root, 'state-2'), dataDirs: [join(root, 'jupyter')] })
    let waiting!: () => void
    const reachedWait = new Promise<void>((resolve) => (waiting = resolve))
    const starting = other.start('silent', {
      workdir: join(root, 'project'),
      onProgress: (message) => message === 'waiting for kernel' && waiting(),
    })
    starting.catch(() => undefined)
    await reachedWait
    const stopping = Date.now()
    await other.stopAll()
    // Tells "at once" from waiting out the start timeout (60 s by default), with room for a loaded machine.
    expect(Date.now() - stopping).toBeLessThan(30_000)
    await expect(starting).rejects.toMatchObject({ code: 'KERNEL_DEAD' })
    expect(pidsMentioning(join(root, 'state-2'))).toEqual([])
  })
})

describe('CPU share limit', () => {
  it('cpuCores 0.25 slows a busy loop to about a quarter of one core', async () => {
    const host = await probeSandboxHost()
    if (host.capabilities.notes.every((note) => !note.startsWith('CPU share limit'))) {
      console.log('no cgroup cpu controller on this host: the CPU share limit cannot apply, expecting the test to fail')
    }
    const tk = await startTestKernel({ host, limits: { cpuCores: 0.25 } })
    try {
      const result = await executeCollect(
        tk.kernel,
        'import time\nwall = time.time(); cpu = time.process_time()\nwhile time.time() - wall < 2:\n    pass\nprint(round((time.process_time() - cpu) / (time.time() - wall), 2))',
      )
      const share = Number(result.stdout.trim())
      console.log(`CPU share measured with cpuCores 0.25: ${share}`)
      expect(share).toBeGreaterThan(0.05)
      expect(share).toBeLessThan(0.4)
    } finally {
      await tk.dispose()
    }
  }, 60_000)
})
