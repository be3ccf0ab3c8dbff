import { describe, expect, it } from 'vitest'
import * as A from '@automerge/automerge'
import { generateAutomergeUrl } from '@automerge/automerge-repo'
import fc from 'fast-check'
import {
  CrdtError,
  addFile,
  createProject,
  deleteFile,
  listTree,
  readProject,
  renameFile,
  renamePath,
  type FolderNode,
  type ProjectDoc,
  type ProjectRead,
} from '../src/index.js'

const long = process.env.QUIRE_LONG === '1'
const SEED = long ? Date.now() % 2 ** 31 : 7_301
const PATHS = ['a', 'b', 'a/x', 'a/y', 'b/x', 'c.txt', 'a/x/z', 'b/a']
const URL = generateAutomergeUrl()
const REPLICAS = 3

type Op =
  | { kind: 'add'; replica: number; path: number; folder: boolean; time: number }
  | { kind: 'rename'; replica: number; pick: number; path: number }
  | { kind: 'renamePath'; replica: number; from: number; path: number }
  | { kind: 'delete'; replica: number; pick: number }
  | { kind: 'sync'; from: number; to: number }

const replica = fc.integer({ min: 0, max: REPLICAS - 1 })
const pathIndex = fc.integer({ min: 0, max: PATHS.length - 1 })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), replica, path: pathIndex, folder: fc.boolean(), time: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ kind: fc.constant('rename' as const), replica, pick: fc.nat(), path: pathIndex }),
  fc.record({ kind: fc.constant('renamePath' as const), replica, from: pathIndex, path: pathIndex }),
  fc.record({ kind: fc.constant('delete' as const), replica, pick: fc.nat() }),
  fc.record({ kind: fc.constant('sync' as const), from: replica, to: replica }),
)

function read(doc: unknown): ProjectRead {
  const r = readProject(doc)
  if (!r.ok) throw r.error
  return r.value
}

/** Applies one operation; refusals (a CrdtError) are part of normal use and leave the replica as it was. */
function apply(docs: Array<A.Doc<ProjectDoc>>, op: Op): void {
  if (op.kind === 'sync') {
    if (op.from !== op.to) docs[op.to] = A.merge(docs[op.to]!, docs[op.from]!)
    return
  }
  const doc = docs[op.replica]!
  const ids = read(doc).files.map((f) => f.id)
  const pickId = (n: number): string => ids[n % Math.max(1, ids.length)] ?? 'none'
  try {
    docs[op.replica] = A.change(doc, (d) => {
      if (op.kind === 'add') {
        const path = PATHS[op.path]!
        if (op.folder) addFile(d, { path, kind: 'folder', createdAt: op.time })
        else addFile(d, { path, kind: 'text', url: URL, createdAt: op.time })
      } else if (op.kind === 'rename') renameFile(d, pickId(op.pick), PATHS[op.path]!)
      else if (op.kind === 'renamePath') renamePath(d, PATHS[op.from]!, PATHS[op.path]!)
      else deleteFile(d, pickId(op.pick))
    })
  } catch (err) {
    if (!(err instanceof CrdtError)) throw err
  }
}

function countFiles(node: FolderNode): number {
  return node.children.reduce((n, c) => n + (c.type === 'file' ? 1 : countFiles(c)), 0)
}

describe('project documents under random concurrent edits', () => {
  it('[P7][P8][P10] replicas converge, every file is shown once at a distinct place', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: long ? 80 : 30 }), (ops) => {
        const base = createProject({ name: 'Random', owner: 'owner', createdAt: 0 })
        const docs = Array.from({ length: REPLICAS }, () => A.clone(base))
        for (const op of ops) apply(docs, op)
        const merged = docs.map((_, i) => docs.reduce((acc, other, j) => (i === j ? acc : A.merge(acc, other)), A.clone(docs[i]!)))
        const reads = merged.map(read)
        for (const r of reads) expect(r).toEqual(reads[0])
        const r = reads[0]!
        const files = r.files.filter((f) => f.kind !== 'folder')
        const folderPaths = new Set(r.files.filter((f) => f.kind === 'folder').map((f) => f.displayPath))
        for (const f of files) for (let i = f.displayPath.indexOf('/'); i > 0; i = f.displayPath.indexOf('/', i + 1)) folderPaths.add(f.displayPath.slice(0, i))
        const shown = files.map((f) => f.displayPath)
        expect(new Set(shown).size).toBe(shown.length)
        for (const p of shown) expect(folderPaths.has(p)).toBe(false)
        expect(new Set(r.files.map((f) => f.id)).size).toBe(r.files.length)
        expect(countFiles(listTree(r))).toBe(files.length)
        expect(r.brokenFiles).toEqual([])
      }),
      { seed: SEED, numRuns: long ? 400 : 40 },
    )
  })
})
