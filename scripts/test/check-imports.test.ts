import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// @ts-expect-error: a plain ESM script without type declarations
import { checkImports } from '../check-imports.mjs'

const packages = ['crdt', 'node', 'relay', 'compute-peer', 'web', 'bootstrap']
const allowedDeps: Record<string, string[]> = { node: ['crdt'], relay: ['node', 'crdt'], web: ['node', 'crdt'] }

describe('package boundary lint (ARCHITECTURE.md, Allowed imports)', () => {
  let root: string
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'quire-lint-'))
    for (const pkg of packages) {
      mkdirSync(join(root, pkg, 'src'), { recursive: true })
      const dependencies = Object.fromEntries((allowedDeps[pkg] ?? []).map((d) => [`@quire/${d}`, '0.1.0']))
      writeFileSync(join(root, pkg, 'package.json'), JSON.stringify({ name: `@quire/${pkg}`, dependencies }))
      writeFileSync(join(root, pkg, 'src', 'index.ts'), 'export const x = 1\n')
    }
  })
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  const write = (file: string, text: string) => writeFileSync(join(root, file), text)
  const problems = () => checkImports(root) as string[]

  it('accepts allowed imports', () => {
    write('node/src/a.ts', "import { x } from '@quire/crdt'\nimport { y } from '@quire/crdt/testing'\n")
    write('relay/src/a.ts', "import { x } from '@quire/node'\n")
    expect(problems()).toEqual([])
  })

  it('lets a package\'s tests import its own public API by name, but not its source', () => {
    mkdirSync(join(root, 'crdt', 'test'))
    write('crdt/test/a.test.ts', "import { x } from '@quire/crdt'\nimport { y } from '@quire/crdt/testing'\n")
    expect(problems()).toEqual([])
    write('crdt/src/b.ts', "import { x } from '@quire/crdt'\n")
    expect(problems()).toEqual([expect.stringContaining('imports its own package by name')])
  })

  it('rejects crdt importing node', () => {
    write('crdt/src/a.ts', "import { x } from '@quire/node'\n")
    expect(problems()).toEqual([expect.stringContaining('crdt/src/a.ts:1: crdt may not import @quire/node')])
  })

  it('rejects web importing relay, even by dynamic import', () => {
    write('web/src/a.ts', "const m = await import('@quire/relay')\n")
    expect(problems()).toEqual([expect.stringContaining('web may not import @quire/relay')])
  })

  it('rejects networking in crdt', () => {
    write('crdt/src/a.ts', "import { createLibp2p } from 'libp2p'\nimport net from 'node:net'\n")
    expect(problems()).toHaveLength(2)
  })

  it('rejects reaching into internals and relative escapes', () => {
    write('relay/src/a.ts', "import { z } from '@quire/node/src/sync/adapter.js'\nimport { w } from '../../node/src/index.js'\n")
    const found = problems()
    expect(found).toHaveLength(2)
    expect(found[0]).toContain('internals')
    expect(found[1]).toContain('leaves package relay')
  })

  it('rejects an undeclared or forbidden package.json dependency', () => {
    write('compute-peer/src/a.ts', "import { x } from '@quire/node'\n")
    write('web/package.json', JSON.stringify({ name: '@quire/web', dependencies: { '@quire/relay': '0.1.0' } }))
    const found = problems()
    expect(found.some((p) => p.includes('does not declare @quire/node'))).toBe(true)
    expect(found.some((p) => p.includes('web/package.json: depends on @quire/relay'))).toBe(true)
  })
})
