import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ComputeError, resolveComputeConfig } from '../../src/index.js'
import { helpText } from '../../src/config/help.js'
import { OPTIONS, envName, flagName } from '../../src/config/options.js'

let dir: string
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'quire-compute-config-')) })
afterAll(async () => { await rm(dir, { recursive: true, force: true }) })

function codeOf(fn: () => unknown): string | undefined {
  try { fn() } catch (err) { return err instanceof ComputeError ? err.code : `not a ComputeError: ${String(err)}` }
  return undefined
}

describe('quire-compute configuration', () => {
  it('has safe defaults: no network, limits on, loopback off', () => {
    const { config } = resolveComputeConfig([], {}, '/srv')
    expect(config).toEqual({
      dataDir: '/srv/quire-compute-data',
      listen: ['/ip4/0.0.0.0/tcp/4011'],
      bootstrap: [],
      projects: [],
      maxKernels: 4,
      limits: { memoryBytes: 2048 * 1024 * 1024, processes: 256, fileSizeBytes: 1024 * 1024 * 1024 },
      idleTimeoutMs: 1_800_000,
      allowNetwork: false,
      allowLoopback: false,
      unsafeNoSandbox: false,
    })
  })

  it('[S5] --sandbox-user (or QUIRE_COMPUTE_SANDBOX_USER) names the user sandboxes run as when root', () => {
    expect(resolveComputeConfig(['--sandbox-user', 'kernels'], {}, '/srv').config?.sandboxUser).toBe('kernels')
    expect(resolveComputeConfig([], { QUIRE_COMPUTE_SANDBOX_USER: 'k2' }, '/srv').config?.sandboxUser).toBe('k2')
    expect(resolveComputeConfig([], {}, '/srv').config).not.toHaveProperty('sandboxUser')
  })

  it('takes flags over environment over file over defaults, lists accumulating', async () => {
    const file = join(dir, 'compute.json')
    await writeFile(file, JSON.stringify({ dataDir: 'data', maxKernels: 2, kernelMemoryMb: 512, projects: ['fromfile'], allowNetwork: true }))
    const env = { QUIRE_COMPUTE_CONFIG: file, QUIRE_COMPUTE_MAX_KERNELS: '3', QUIRE_COMPUTE_PROJECTS: 'a,b' }
    const { config } = resolveComputeConfig(['--project', 'c', '--project=d', '--kernel-cpu-seconds', '60', '--kernel-memory-mb', '0', '--allow-network', 'false'], env, '/cwd')
    expect(config?.dataDir).toBe(join(dir, 'data'))
    expect(config?.maxKernels).toBe(3)
    expect(config?.projects).toEqual(['c', 'd'])
    expect(config?.limits).toEqual({ cpuSeconds: 60, processes: 256, fileSizeBytes: 1024 * 1024 * 1024 })
    expect(config?.allowNetwork).toBe(false)
    expect(resolveComputeConfig([], env, '/cwd').config?.projects).toEqual(['a', 'b'])
  })

  it('names the flag, variable or field at fault', async () => {
    expect(codeOf(() => resolveComputeConfig(['--frobnicate'], {}))).toBe('COMPUTE_FLAG_INVALID')
    expect(codeOf(() => resolveComputeConfig(['--max-kernels', '0'], {}))).toBe('COMPUTE_FLAG_INVALID')
    expect(codeOf(() => resolveComputeConfig([], { QUIRE_COMPUTE_IDLE_TIMEOUT_SECONDS: 'soon' }))).toBe('COMPUTE_ENV_INVALID')
    const bad = join(dir, 'bad.json')
    await writeFile(bad, JSON.stringify({ maxKernel: 2 }))
    expect(codeOf(() => resolveComputeConfig(['--config', bad], {}))).toBe('COMPUTE_CONFIG_INVALID')
    let message = ''
    try { resolveComputeConfig(['--config', bad], {}) } catch (err) { message = (err as Error).message }
    expect(message).toContain('unknown field "maxKernel"')
  })

  it('--help lists every option with its flag, variable and default', () => {
    expect(resolveComputeConfig(['--help'], {})).toEqual({ help: true })
    const help = helpText()
    for (const o of OPTIONS) {
      expect(help).toContain(flagName(o.key))
      expect(help).toContain(envName(o.key))
      expect(help).toContain(`Default: ${o.shownDefault}.`)
    }
  })
})
