#!/usr/bin/env node
// The package boundaries of ARCHITECTURE.md ("Allowed imports"), checked three ways that must agree:
// the import statements in the source, each package.json's dependencies, and each tsconfig's references.
// A hand-written check (rather than a generic dependency linter) because the rules span all three files.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs'
import { join, relative, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Which of our packages each package may import. */
export const ALLOWED = {
  crdt: [],
  node: ['crdt'],
  relay: ['node', 'crdt'],
  'compute-peer': ['node', 'crdt'],
  web: ['node', 'crdt'],
  bootstrap: ['node', 'crdt'],
}

/** Module specifiers that mean networking; crdt must stay transport-free. */
const NETWORKING = /^(libp2p|@libp2p\/|@chainsafe\/libp2p|ws$|node:(net|http|https|http2|dgram|tls|dns)$|(net|http|https|http2|dgram|tls|dns)$|@automerge\/automerge-repo-network-)/

const SPEC = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bexport\s+\*\s+from\s*)['"]([^'"]+)['"]/g

function* sourceFiles(dir) {
  if (!existsSync(dir)) return
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) yield* sourceFiles(path)
    else if (/\.(ts|mts|js|mjs|svelte)$/.test(name) && !name.endsWith('.d.ts')) yield path
  }
}

/** Returns a list of human-readable violations for the monorepo rooted at `root`. */
export function checkImports(root) {
  const problems = []
  for (const [pkg, allowed] of Object.entries(ALLOWED)) {
    const dir = join(root, pkg)
    const manifestPath = join(dir, 'package.json')
    if (!existsSync(manifestPath)) { problems.push(`${pkg}: package.json is missing`); continue }
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
    const deps = { ...manifest.dependencies, ...manifest.devDependencies, ...manifest.peerDependencies }
    for (const dep of Object.keys(deps)) {
      const m = /^@quire\/(.+)$/.exec(dep)
      if (m && !allowed.includes(m[1])) problems.push(`${pkg}/package.json: depends on ${dep}, which ${pkg} may not import`)
    }
    const tsconfigPath = join(dir, 'tsconfig.json')
    if (existsSync(tsconfigPath)) {
      const tsconfig = JSON.parse(readFileSync(tsconfigPath, 'utf8'))
      for (const ref of tsconfig.references ?? []) {
        const target = relative(root, resolve(dir, ref.path))
        if (!allowed.includes(target)) problems.push(`${pkg}/tsconfig.json: references ${target}, which ${pkg} may not import`)
      }
    }
    for (const file of sourceFiles(dir)) {
      const text = readFileSync(file, 'utf8')
      const rel = relative(root, file)
      for (const match of text.matchAll(SPEC)) {
        const spec = match[1]
        const line = text.slice(0, match.index).split('\n').length
        const where = `${rel}:${line}`
        const ours = /^@quire\/([^/]+)(\/.*)?$/.exec(spec)
        if (ours) {
          const [, target, sub] = ours
          // Tests import their own package by name, as its users do, so they exercise the public API.
          const isTest = relative(dir, file).startsWith('test/')
          if (target === pkg && isTest && (sub === undefined || sub === '/testing')) continue
          if (target === pkg) problems.push(`${where}: imports its own package by name (${spec}); use a relative path`)
          else if (!allowed.includes(target)) problems.push(`${where}: ${pkg} may not import ${spec} (allowed: ${allowed.map((a) => '@quire/' + a).join(', ') || 'none of ours'})`)
          else if (!(`@quire/${target}` in deps)) problems.push(`${where}: imports ${spec} but ${pkg}/package.json does not declare @quire/${target}`)
          else if (sub && sub !== '/testing') problems.push(`${where}: ${spec} reaches into another package's internals; import its public API or ./testing`)
          continue
        }
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec)
          if (!target.startsWith(dir + '/')) problems.push(`${where}: relative import ${spec} leaves package ${pkg}`)
          continue
        }
        if (pkg === 'crdt' && NETWORKING.test(spec)) problems.push(`${where}: crdt must not use networking (${spec})`)
      }
    }
  }
  return problems
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ? resolve(process.argv[2]) : resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const problems = checkImports(root)
  if (problems.length > 0) {
    console.error(`Package boundary check failed (ARCHITECTURE.md, "Allowed imports"):\n  ${problems.join('\n  ')}`)
    process.exit(1)
  }
  console.log('Package boundaries: ok')
}
