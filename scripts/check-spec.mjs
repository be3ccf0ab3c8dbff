#!/usr/bin/env node
// Numbered rules (crdt/SPEC.md, node/PROTOCOL.md, ...) and the tests that cite them must match both ways:
// a test citing a rule that does not exist is wrong, and a rule no test cites is unchecked.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs'
import { join, resolve, dirname, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Spec documents and the test folders whose citations they own. */
export const SPECS = [
  // Shared contract suites (src/testing) cite rules too: they are the tests other packages rerun.
  { spec: 'crdt/SPEC.md', tests: ['crdt/test', 'crdt/src/testing'] },
  { spec: 'node/PROTOCOL.md', tests: ['node/test', 'node/src/testing', 'relay/test', 'compute-peer/test'] },
  { spec: 'compute-peer/SPEC.md', tests: ['compute-peer/test', 'compute-peer/src/testing'] },
]

const RULE = /^- \*\*([A-Z]{1,3}\d+)\*\*/gm
const CITATION = /\[([A-Z]{1,3}\d+)\]/g

function* files(dir) {
  if (!existsSync(dir)) return
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) yield* files(path)
    else if (/\.test\.ts$/.test(name) || (/\.ts$/.test(name) && dir.endsWith('testing'))) yield path
  }
}

export function checkSpecs(root) {
  const problems = []
  const rulesOf = new Map()
  for (const { spec } of SPECS) {
    const specPath = join(root, spec)
    if (!existsSync(specPath)) { problems.push(`${spec} is missing`); rulesOf.set(spec, new Set()); continue }
    rulesOf.set(spec, new Set([...readFileSync(specPath, 'utf8').matchAll(RULE)].map((m) => m[1])))
  }
  for (const { spec, tests } of SPECS) {
    const rules = rulesOf.get(spec)
    // A folder may be owned by several specs (compute-peer's tests cite node's access rules too): a citation
    // is wrong only if none of them defines it.
    const owners = SPECS.filter((s) => s.tests.some((dir) => tests.includes(dir))).map((s) => rulesOf.get(s.spec))
    const cited = new Map()
    for (const dir of tests) {
      for (const file of files(join(root, dir))) {
        for (const m of readFileSync(file, 'utf8').matchAll(CITATION)) {
          if (!cited.has(m[1])) cited.set(m[1], relative(root, file))
        }
      }
    }
    for (const [rule, file] of cited) if (!owners.some((r) => r.has(rule))) problems.push(`${file} cites [${rule}], which ${spec} does not define`)
    for (const rule of rules) if (!cited.has(rule)) problems.push(`${spec}: rule ${rule} is cited by no test`)
  }
  return problems
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const problems = checkSpecs(root)
  if (problems.length > 0) {
    console.error(`Spec and tests disagree:\n  ${problems.join('\n  ')}`)
    process.exit(1)
  }
  console.log('Spec rules and test citations: ok')
}
