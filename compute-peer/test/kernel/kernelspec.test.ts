import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findKernelSpecs, jupyterDataDirs } from '@quire/compute-peer'
import { resolveKernelArgv } from '../../src/kernel/kernelspec.js'

describe('kernelspec discovery', () => {
  let root: string
  const write = async (dataDir: string, name: string, content: string) => {
    await mkdir(join(root, dataDir, 'kernels', name), { recursive: true })
    await writeFile(join(root, dataDir, 'kernels', name, 'kernel.json'), content)
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'quire-specs-'))
    await write('first', 'python3', JSON.stringify({ argv: ['python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'], display_name: 'Mine', language: 'python' }))
    await write('first', 'junk', '{ not json')
    await write('first', 'no-argv', JSON.stringify({ display_name: 'No argv' }))
    await write('first', 'bad-argv', JSON.stringify({ argv: ['ok', 3] }))
    await write('first', 'array', '[1, 2]')
    await write(
      'second',
      'python3',
      JSON.stringify({ argv: ['/usr/bin/python3', '-f', '{connection_file}'], display_name: 'System', language: 'python' }),
    )
    await write(
      'second',
      'other',
      JSON.stringify({ argv: ['/opt/k', '{connection_file}'], interrupt_mode: 'message', env: { A: '1', B: 2 }, metadata: {} }),
    )
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('finds valid kernelspecs, skips broken ones, and lets an earlier directory win', async () => {
    const specs = await findKernelSpecs({ dataDirs: [join(root, 'first'), join(root, 'second'), join(root, 'missing')] })
    expect(specs.map((s) => s.name)).toEqual(['other', 'python3'])
    expect(specs[1]).toMatchObject({ displayName: 'Mine', language: 'python', interruptMode: 'signal', resourceDir: join(root, 'first', 'kernels', 'python3') })
    expect(specs[0]).toMatchObject({ displayName: 'other', language: 'unknown', interruptMode: 'message', env: { A: '1' } })
  })

  it('searches JUPYTER_PATH first, then the user and system directories', () => {
    const dirs = jupyterDataDirs({ JUPYTER_PATH: '/a:/b', XDG_DATA_HOME: '/home/u/.data' })
    expect(dirs).toEqual(['/a', '/b', '/home/u/.data/jupyter', '/usr/local/share/jupyter', '/usr/share/jupyter'])
  })

  it('resolves a bare python3 to an interpreter that can import ipykernel', async () => {
    const [spec] = (await findKernelSpecs({ dataDirs: [join(root, 'first')] })).filter((s) => s.name === 'python3')
    const argv = await resolveKernelArgv(spec!)
    // On Debian hosts the system interpreter has python3-ipykernel; the PATH one (pyenv here) may not.
    expect(argv[0]).toBe('/usr/bin/python3')
    expect(argv.slice(1)).toEqual(['-m', 'ipykernel_launcher', '-f', '{connection_file}'])
    const other = (await findKernelSpecs({ dataDirs: [join(root, 'second')] })).find((s) => s.name === 'other')!
    expect(await resolveKernelArgv(other)).toEqual(['/opt/k', '{connection_file}'])
  })

  it('the host has a python3 kernelspec (python3-ipykernel)', async () => {
    const names = (await findKernelSpecs()).map((s) => s.name)
    expect(names).toContain('python3')
  })
})
