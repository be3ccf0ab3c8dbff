import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKernelLauncher, KernelError, probeSandboxHost, type SandboxHost } from '@quire/compute-peer'
import { executeCollect, startTestKernel, type TestKernel } from '@quire/compute-peer/testing'
import { kernelInterpreterPid } from '../kernel/process-helpers.js'

/** A TCP server on loopback that counts the connections it accepts. */
async function loopbackServer(): Promise<{ server: Server; port: number; accepted: () => number }> {
  let count = 0
  const server = createServer((socket) => {
    count++
    socket.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  return { server, port: address.port, accepted: () => count }
}

const connectCode = (port: number) =>
  [
    'import socket',
    'try:',
    `    socket.create_connection(("127.0.0.1", ${port}), timeout=3).close()`,
    '    print("connected")',
    'except OSError as error:',
    '    print("failed:", type(error).__name__)',
  ].join('\n')

describe('sandbox isolation', () => {
  let host: SandboxHost
  let tk: TestKernel
  let server: Awaited<ReturnType<typeof loopbackServer>>

  beforeAll(async () => {
    host = await probeSandboxHost()
    server = await loopbackServer()
    tk = await startTestKernel({ host })
  })
  afterAll(async () => {
    await tk?.dispose()
    server?.server.close()
  })

  it('without network, connecting to a server on the host loopback fails', async () => {
    const result = await executeCollect(tk.kernel, connectCode(server.port))
    expect(result.stdout).toMatch(/^failed: /)
    expect(server.accepted()).toBe(0)
  })

  it('with network allowed, the same connection succeeds', async () => {
    const networked = await startTestKernel({ host, network: true })
    try {
      const result = await executeCollect(networked.kernel, connectCode(server.port))
      expect(result.stdout).toBe('connected\n')
      expect(server.accepted()).toBe(1)
    } finally {
      await networked.dispose()
    }
  })

  it('a file written in the workdir is visible outside; /usr is read-only', async () => {
    const result = await executeCollect(
      tk.kernel,
      [
        'open("from-kernel.txt", "w").write("written in the sandbox")',
        'try:',
        '    open("/usr/quire-escape.txt", "w")',
        '    print("wrote /usr")',
        'except OSError as error:',
        '    print("usr:", error.strerror)',
      ].join('\n'),
    )
    expect(result.stdout).toBe('usr: Read-only file system\n')
    expect(await readFile(join(tk.workdir, 'from-kernel.txt'), 'utf8')).toBe('written in the sandbox')
  })

  it('the host home, other projects and /etc/shadow are out of sight; the kernel runs as uid 1000', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'quire-outside-'))
    await writeFile(join(outside, 'secret.txt'), 'host secret')
    try {
      const result = await executeCollect(
        tk.kernel,
        [
          'import os',
          `print(os.path.exists(${JSON.stringify(join(outside, 'secret.txt'))}))`,
          'print(os.path.exists("/root"), os.path.exists("/home"), os.path.exists("/opt"))',
          'try:',
          '    print(repr(open("/etc/shadow").read()))',
          'except OSError as error:',
          '    print("shadow:", error.strerror)',
          'print(os.getuid())',
        ].join('\n'),
      )
      expect(result.stdout.split('\n').slice(0, 4)).toEqual(['False', 'False False False', expect.stringMatching(/^(''|shadow: .*)$/), '1000'])
    } finally {
      await rm(outside, { recursive: true, force: true })
    }
  })
})

describe('what code in the sandbox can read about the host', () => {
  it('[S2] no command line inside the sandbox names a host path, the kernel id or a masked file; /proc/1 is a neutral bwrap', async () => {
    const tk = await startTestKernel()
    try {
      const result = await executeCollect(
        tk.kernel,
        [
          'import json, os',
          'lines = {}',
          'for pid in os.listdir("/proc"):',
          '    if pid.isdigit():',
          '        try:',
          '            lines[pid] = open(f"/proc/{pid}/cmdline", "rb").read().decode().split("\\0")',
          '        except OSError:',
          '            pass',
          'print(json.dumps(lines))',
        ].join('\n'),
      )
      const cmdlines = JSON.parse(result.stdout) as Record<string, string[]>
      const all = JSON.stringify(cmdlines)
      expect(cmdlines['1']?.slice(0, 4)).toEqual([expect.stringMatching(/bwrap$/), '--args', '4', '--'])
      expect(Object.keys(cmdlines).length).toBeGreaterThanOrEqual(2)
      for (const secret of [tk.stateDir, tk.kernel.id, '/etc/shadow', '--ro-bind', '--setenv', join(tk.workdir, '..')]) {
        expect(all, secret).not.toContain(secret)
      }
      // The kernel still found its connection file, at the neutral path.
      expect(all).toContain('/run/kernel/connection.json')
    } finally {
      await tk.dispose()
    }
  })
})

describe('the sandbox user', () => {
  it.skipIf(process.getuid?.() !== 0)('[S5] started as root, kernels run as an unprivileged host user, who owns the files they write', async () => {
    const tk = await startTestKernel()
    try {
      expect(tk.launcher.capabilities.notes.join('\n')).toMatch(/sandbox user: quire-sandbox \(uid \d+\)/)
      const result = await executeCollect(tk.kernel, 'import os\nopen("made-here.txt", "w").write("x")\nprint(os.getuid())')
      expect(result.stdout).toBe('1000\n')
      const pid = kernelInterpreterPid(tk.stateDir, tk.kernel)
      expect(pid).toBeDefined()
      const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))!.slice(1).map(Number)
      expect(uids.every((uid) => uid !== 0), String(uids)).toBe(true)
      const file = await stat(join(tk.workdir, 'made-here.txt'))
      expect(file.uid).not.toBe(0)
      expect(file.uid).toBe(uids[0])
    } finally {
      await tk.dispose()
    }
  })
})

describe('extra read-only directories', () => {
  it('a directory given in readOnlyDirs is readable but not writable', async () => {
    const root = await mkdtemp(join(tmpdir(), 'quire-readonly-'))
    await mkdir(join(root, 'tools'))
    await mkdir(join(root, 'project'))
    await writeFile(join(root, 'tools', 'data.txt'), 'shared data')
    const launcher = await createKernelLauncher({ stateDir: join(root, 'state'), readOnlyDirs: [join(root, 'tools')] })
    try {
      const kernel = await launcher.start('python3', { workdir: join(root, 'project') })
      const tools = JSON.stringify(join(root, 'tools'))
      const result = await executeCollect(
        kernel,
        [
          `print(open(${tools} + "/data.txt").read())`,
          'try:',
          `    open(${tools} + "/new.txt", "w")`,
          'except OSError as error:',
          '    print(error.strerror)',
        ].join('\n'),
      )
      expect(result.stdout).toBe('shared data\nRead-only file system\n')
    } finally {
      await launcher.stopAll()
      await rm(root, { recursive: true, force: true })
    }
  })
})

describe('launcher refusals', () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'quire-launcher-'))
    await mkdir(join(root, 'project'))
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('without bubblewrap it refuses with SANDBOX_UNAVAILABLE and says how to install it', async () => {
    const real = await probeSandboxHost()
    const { bwrap: _bwrap, ...rest } = real
    const host: SandboxHost = {
      ...rest,
      bwrapProblem: 'bubblewrap is not installed (apt-get install bubblewrap)',
      capabilities: { ...real.capabilities, bubblewrap: false },
    }
    const launcher = await createKernelLauncher({ stateDir: join(root, 'state'), host })
    const error = await launcher.start('python3', { workdir: join(root, 'project') }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KernelError)
    expect((error as KernelError).code).toBe('SANDBOX_UNAVAILABLE')
    expect((error as KernelError).message).toContain('apt-get install bubblewrap')
    await launcher.stopAll()
  })

  it('[S1] a bubblewrap that is installed but fails says it failed, how, and what it printed, not that it is missing', async () => {
    const fake = join(root, 'bwrap')
    await writeFile(fake, '#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n', { mode: 0o755 })
    const host = await probeSandboxHost({ bwrapPath: fake })
    expect(host.bwrap).toBeUndefined()
    expect(host.capabilities.bubblewrap).toBe(false)
    expect(host.bwrapProblem).toContain(`installed (${fake}) but failed`)
    expect(host.bwrapProblem).toContain('exit code 1')
    expect(host.bwrapProblem).toContain('setting up uid map: Permission denied')
    expect(host.bwrapProblem).not.toContain('not installed')
    expect(host.capabilities.notes.join('\n')).toContain('setting up uid map: Permission denied')
    const launcher = await createKernelLauncher({ stateDir: join(root, 'state'), host })
    const error = await launcher.start('python3', { workdir: join(root, 'project') }).catch((e: unknown) => e)
    expect((error as KernelError).code).toBe('SANDBOX_UNAVAILABLE')
    expect((error as KernelError).message).toContain('failed to start a test sandbox (exit code 1)')
    expect((error as KernelError).message).not.toContain('apt-get install')
    await launcher.stopAll()
  })

  it('an unknown kernelspec gives KERNEL_SPEC_NOT_FOUND listing what is installed', async () => {
    const launcher = await createKernelLauncher({ stateDir: join(root, 'state') })
    const error = await launcher.start('no-such-kernel', { workdir: join(root, 'project') }).catch((e: unknown) => e)
    expect((error as KernelError).code).toBe('KERNEL_SPEC_NOT_FOUND')
    expect((error as KernelError).message).toContain('python3')
    await launcher.stopAll()
  })

  it('a kernel that exits at once gives KERNEL_START_FAILED with its exit and output', async () => {
    const dataDir = join(root, 'jupyter')
    await mkdir(join(dataDir, 'kernels', 'broken'), { recursive: true })
    await writeFile(
      join(dataDir, 'kernels', 'broken', 'kernel.json'),
      JSON.stringify({ argv: ['/bin/sh', '-c', 'echo cannot start >&2; exit 3', '{connection_file}'], display_name: 'Broken', language: 'none' }),
    )
    const launcher = await createKernelLauncher({ stateDir: join(root, 'state'), dataDirs: [dataDir] })
    const error = await launcher.start('broken', { workdir: join(root, 'project') }).catch((e: unknown) => e)
    expect((error as KernelError).code).toBe('KERNEL_START_FAILED')
    expect((error as KernelError).message).toContain('exited with code 3')
    expect((error as KernelError).message).toContain('cannot start')
    await launcher.stopAll()
  })
})
