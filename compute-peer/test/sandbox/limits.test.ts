import { existsSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { detectSandboxCapabilities, probeSandboxHost, type SandboxCapabilities, type SandboxHost } from '@quire/compute-peer'
import { executeCollect, startTestKernel } from '@quire/compute-peer/testing'
import { ipcDirOf, nextStatus, pidsMentioning } from '../kernel/process-helpers.js'

const MiB = 1024 * 1024

// Real limits on a real kernel. Which mechanism applies depends on the host; each test says what it found.
describe('sandbox limits', () => {
  let host: SandboxHost
  let caps: SandboxCapabilities

  beforeAll(async () => {
    host = await probeSandboxHost()
    caps = host.capabilities
    console.log(`sandbox capabilities on this host:\n  ${caps.notes.join('\n  ')}`)
  })

  it('detectSandboxCapabilities describes every kind of limit', async () => {
    const detected = await detectSandboxCapabilities()
    expect(detected.bubblewrap).toBe(existsSync('/usr/bin/bwrap') || existsSync('/bin/bwrap'))
    for (const kind of ['memory limit', 'CPU time limit', 'process limit', 'file size limit']) {
      expect(detected.notes.some((note) => note.startsWith(kind))).toBe(true)
    }
  })

  it('allocating far past a 256 MiB limit is stopped and the launcher keeps working', async () => {
    if (caps.memory === 'none') console.log('no memory limit mechanism on this host: expecting the test to fail')
    const tk = await startTestKernel({ host, limits: { memoryBytes: 256 * MiB } })
    try {
      const dead = nextStatus(tk.kernel, 'dead', 60_000)
      dead.catch(() => undefined)
      // Touching every byte (not just reserving address space) so a cgroup limit is really hit.
      const result = await executeCollect(tk.kernel, 'hog = b"\\x01" * (2 * 1024 ** 3)\nprint("allocated")')
      expect(result.stdout).not.toContain('allocated')
      if (result.reply.status === 'aborted') {
        // cgroup: the OOM killer ended the kernel, and the reason says so.
        expect(result.reply.reason).toMatch(/out of memory/)
        expect(await dead).toBe('killed: out of memory (limit 256 MiB)')
        await tk.kernel.restart()
      } else {
        // prlimit --as: the allocation fails inside Python.
        expect(result.outputs.find((o) => o.type === 'error')).toMatchObject({ ename: 'MemoryError' })
      }
      expect((await executeCollect(tk.kernel, '1+1')).outputs[0]).toMatchObject({ data: { 'text/plain': '2' } })
      const other = await tk.launcher.start('python3', { workdir: tk.workdir, limits: { memoryBytes: 256 * MiB } })
      expect((await executeCollect(other, '3*3')).outputs[0]).toMatchObject({ data: { 'text/plain': '9' } })
      await other.shutdown()
    } finally {
      await tk.dispose()
    }
  }, 120_000)

  it('a fork bomb is stopped by the process limit and everything is cleaned up', async () => {
    if (caps.processes === 'none') console.log('no process limit mechanism on this host: expecting the test to fail')
    const tk = await startTestKernel({ host, limits: { processes: 40 } })
    const ipcDir = ipcDirOf(tk.stateDir, tk.kernel)
    try {
      // Every process forks again (a real bomb); the guard is only that forks which fail end the loop and
      // that the children then wait instead of running the rest of the cell.
      const result = await executeCollect(
        tk.kernel,
        [
          'import os, time',
          'me = os.getpid()',
          'try:',
          '    while True:',
          '        os.fork()',
          'except OSError as error:',
          '    failure = type(error).__name__',
          'if os.getpid() != me:',
          '    time.sleep(600)',
          '    os._exit(0)',
          'print("fork failed with", failure)',
        ].join('\n'),
      )
      expect(result.stdout).toMatch(/fork failed with (BlockingIOError|OSError)/)
      const alive = pidsMentioning(ipcDir).length
      console.log(`fork bomb: ${alive} processes of the kernel alive at the limit`)
      expect(alive).toBeGreaterThan(2)
      expect(alive).toBeLessThanOrEqual(40)
      await tk.kernel.shutdown()
      expect(pidsMentioning(ipcDir)).toEqual([])
    } finally {
      await tk.dispose()
    }
    expect(pidsMentioning(ipcDir)).toEqual([])
  }, 120_000)

  it('a CPU time limit ends a busy loop with a reason', async () => {
    const tk = await startTestKernel({ host, limits: { cpuSeconds: 4 } })
    try {
      const dead = nextStatus(tk.kernel, 'dead', 60_000)
      const started = Date.now()
      const result = await executeCollect(tk.kernel, 'while True:\n    pass')
      expect(result.reply.status).toBe('aborted')
      const reason = await dead
      console.log(`CPU time limit of 4 s: ${reason}, ${Date.now() - started} ms after the loop started`)
      expect(reason).toMatch(/CPU time limit/)
      // CPU seconds, not wall seconds: on a loaded machine the wall time is longer.
      expect(Date.now() - started).toBeLessThan(60_000)
    } finally {
      await tk.dispose()
    }
  }, 90_000)

  it('the CPU time limit counts all the kernel\'s processes together', async () => {
    if (caps.cpu !== 'cgroup-v1' && caps.cpu !== 'cgroup-v2') console.log('no cgroup CPU accounting here: only per-process limits, expecting the test to fail')
    const tk = await startTestKernel({ host, limits: { cpuSeconds: 4 } })
    try {
      const dead = nextStatus(tk.kernel, 'dead', 60_000)
      // Three children of 3 CPU seconds each: every one stays under a per-process limit of 4 s.
      const result = await executeCollect(
        tk.kernel,
        [
          'import subprocess, sys',
          'child = "import time\\nt = time.process_time()\\nwhile time.process_time() - t < 3: pass"',
          'procs = [subprocess.Popen([sys.executable, "-c", child]) for _ in range(3)]',
          'for p in procs: p.wait()',
          'print("survived")',
        ].join('\n'),
      )
      expect(result.stdout).not.toContain('survived')
      expect(await dead).toBe('killed: CPU time limit of 4 s exceeded')
    } finally {
      await tk.dispose()
    }
  }, 90_000)

  it('a file size limit makes large writes fail', async () => {
    if (caps.fileSize === 'none') console.log('no file size limit mechanism on this host: expecting the test to fail')
    const tk = await startTestKernel({ host, limits: { fileSizeBytes: MiB } })
    try {
      const result = await executeCollect(tk.kernel, 'with open("big.bin", "wb") as f:\n    f.write(b"x" * (4 * 1024 * 1024))')
      expect(result.reply.status).toBe('error')
      expect(result.outputs.find((o) => o.type === 'error')).toMatchObject({ evalue: expect.stringMatching(/File too large/) })
    } finally {
      await tk.dispose()
    }
  }, 60_000)
})
