/**
 * Random interleavings of document edits on two peers (a member's repo and the compute peer's own repo) and
 * disk edits (create, overwrite, append, rename, delete, atomic save) with random small delays. At quiescence
 * the disk equals the documents, every edit that nothing later overwrote is there exactly once, no file is
 * duplicated, and the workspace echoed nothing.
 */
import { describe, expect, it } from 'vitest'
import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import type { AutomergeUrl, DocHandle, Repo } from '@automerge/automerge-repo'
import { readProject, readText, spliceText, type ProjectDoc, type TextDoc } from '@quire/crdt'
import { settle, workspaceHarness, type WorkspaceHarness } from './harness.js'

const LONG = process.env['QUIRE_LONG'] === '1'
const NAMES = ['a.txt', 'b.txt', 'c.txt']

type Op =
  | { kind: 'docInsert'; peer: 0 | 1; pick: number; at: number }
  | { kind: 'docCreate' }
  | { kind: 'diskCreate'; name: number }
  | { kind: 'diskWrite'; pick: number }
  | { kind: 'diskAppend'; pick: number }
  | { kind: 'diskRename'; pick: number; to: number }
  | { kind: 'diskDelete'; pick: number }
  | { kind: 'atomicSave'; pick: number }
  | { kind: 'delay'; ms: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('docInsert' as const), peer: fc.constantFrom(0 as const, 1 as const), pick: fc.nat(10), at: fc.nat(10) }),
  fc.record({ kind: fc.constant('docCreate' as const) }),
  fc.record({ kind: fc.constant('diskCreate' as const), name: fc.nat(NAMES.length - 1) }),
  fc.record({ kind: fc.constant('diskWrite' as const), pick: fc.nat(10) }),
  fc.record({ kind: fc.constant('diskAppend' as const), pick: fc.nat(10) }),
  fc.record({ kind: fc.constant('diskRename' as const), pick: fc.nat(10), to: fc.nat(NAMES.length - 1) }),
  fc.record({ kind: fc.constant('diskDelete' as const), pick: fc.nat(10) }),
  fc.record({ kind: fc.constant('atomicSave' as const), pick: fc.nat(10) }),
  fc.record({ kind: fc.constant('delay' as const), ms: fc.integer({ min: 0, max: 150 }) }),
)

/** Lines inserted by an op, and the path each was last known at; an overwrite or delete there drops them. */
class Tokens {
  #next = 0
  readonly required = new Map<string, string>()
  readonly all: string[] = []
  make(path: string, prefix: string): string {
    const token = `<${prefix}-${this.#next++}>`
    this.required.set(token, path)
    this.all.push(token)
    return token
  }
  drop(path: string): void {
    for (const [t, p] of this.required) if (p === path) this.required.delete(t)
  }
  move(from: string, to: string): void {
    this.drop(to)
    for (const [t, p] of this.required) if (p === from) this.required.set(t, to)
  }
}

async function textEntries(repo: Repo, project: DocHandle<ProjectDoc>): Promise<Array<{ path: string; handle: DocHandle<TextDoc> }>> {
  const read = readProject(project.doc())
  if (!read.ok) return []
  const out = []
  for (const f of read.value.files) {
    if (f.kind !== 'text') continue
    const handle = await repo.find<TextDoc>(f.url as AutomergeUrl).catch(() => undefined)
    if (handle?.isReady()) out.push({ path: f.displayPath, handle })
  }
  return out
}

async function diskFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((n) => n !== '.quire-tmp').sort()
}

async function run(ops: Op[]): Promise<void> {
  const h: WorkspaceHarness = await workspaceHarness()
  try {
    h.addText('a.txt', 'init-a\n')
    const ws = await h.start()
    const computeProject = await h.compute.find<ProjectDoc>(h.project.url)
    const tokens = new Tokens()
    tokens.required.set('init-a', 'a.txt')
    let created = 0
    const pickDisk = async (pick: number): Promise<string | undefined> => {
      const files = await diskFiles(h.dir)
      return files.length === 0 ? undefined : files[pick % files.length]
    }
    for (const op of ops) {
      if (op.kind === 'delay') {
        await new Promise((r) => setTimeout(r, op.ms))
      } else if (op.kind === 'docInsert') {
        const [repo, project] = op.peer === 0 ? [h.member, h.project] : [h.compute, computeProject]
        const entries = await textEntries(repo, project)
        if (entries.length === 0) continue
        const { path, handle } = entries[op.pick % entries.length]!
        const token = tokens.make(path, `doc${op.peer}`)
        handle.change((d) => {
          const content = readText(d).ok ? (d as { content: string }).content : ''
          const starts = [0, ...[...content.matchAll(/\n/g)].map((m) => m.index! + 1)].filter((i) => i <= content.length)
          spliceText(d, starts[op.at % starts.length]!, 0, `${token}\n`)
        })
      } else if (op.kind === 'docCreate') {
        const path = `doc-${created++}.txt`
        h.addText(path, `${tokens.make(path, 'created')}\n`)
      } else if (op.kind === 'diskCreate') {
        const path = NAMES[op.name]!
        tokens.drop(path)
        await fs.writeFile(join(h.dir, path), `${tokens.make(path, 'disk')}\n`)
      } else {
        const path = await pickDisk(op.pick)
        if (path === undefined) continue
        const file = join(h.dir, path)
        if (op.kind === 'diskWrite') {
          tokens.drop(path)
          await fs.writeFile(file, `${tokens.make(path, 'over')}\n`)
        } else if (op.kind === 'diskAppend') {
          await fs.appendFile(file, `${tokens.make(path, 'append')}\n`)
        } else if (op.kind === 'diskRename') {
          const to = NAMES[op.to]!
          if (to === path) continue
          tokens.move(path, to)
          await fs.rename(file, join(h.dir, to))
        } else if (op.kind === 'diskDelete') {
          tokens.drop(path)
          await fs.rm(file)
        } else if (op.kind === 'atomicSave') {
          const before = await fs.readFile(file, 'utf8').catch(() => undefined)
          if (before === undefined) continue
          await fs.writeFile(join(h.dir, `.${path}.swp`), `${before}${tokens.make(path, 'save')}\n`)
          await fs.rename(join(h.dir, `.${path}.swp`), file)
        }
      }
    }
    // Quiescence: both repos agree and the workspace has nothing left, twice in a row.
    let last = ''
    for (let i = 0; i < 60; i++) {
      await settle(ws, 250)
      const entries = await textEntries(h.member, h.project)
      const state = JSON.stringify([await diskFiles(h.dir), entries.map((e) => [e.path, e.handle.heads()]), h.project.heads(), computeProject.heads()])
      if (state === last && JSON.stringify(h.project.heads()) === JSON.stringify(computeProject.heads())) break
      last = state
    }
    const read = readProject(h.project.doc())
    expect(read.ok).toBe(true)
    const files = read.ok ? read.value.files : []
    expect(files.filter((f) => f.conflict)).toEqual([])
    expect(new Set(files.map((f) => f.path)).size).toBe(files.length)
    const entries = await textEntries(h.member, h.project)
    expect(entries.map((e) => e.path).sort()).toEqual(await diskFiles(h.dir))
    let all = ''
    for (const e of entries) {
      const content = readText(e.handle.doc()).ok ? (e.handle.doc() as { content: string }).content : '?'
      expect(await fs.readFile(join(h.dir, e.path), 'utf8')).toBe(content)
      all += content
    }
    // A member's insert is one run of text, so it is found whole; a disk edit is a character diff, and a
    // concurrent insert can land inside the text it writes, so disk tokens are looked for once the members'
    // inserts are taken out.
    const count = (text: string, token: string): number => text.split(token).length - 1
    const docTokens = tokens.all.filter((t) => /^<(doc|created)/.test(t))
    let rest = all
    for (const token of docTokens) {
      if (tokens.required.has(token)) expect(count(all, `${token}\n`), `${token} in ${JSON.stringify(all)}`).toBe(1)
      rest = rest.replace(`${token}\n`, '')
    }
    for (const token of tokens.required.keys()) {
      if (!docTokens.includes(token)) expect(count(rest, token), `${token} in ${JSON.stringify(rest)}`).toBe(1)
    }
    expect(ws.stats.echoWrites).toBe(0)
  } finally {
    await h.close()
  }
}

describe('workspace: random interleavings', () => {
  it('[W15] disk and document edits interleaved at random converge: disk equals documents, no edit lost or doubled, no echo', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 4, maxLength: LONG ? 40 : 14 }), run), {
      numRuns: LONG ? 100 : 12,
      ...(process.env['QUIRE_SEED'] ? { seed: Number(process.env['QUIRE_SEED']) } : {}),
      ...(process.env['QUIRE_PATH'] ? { path: process.env['QUIRE_PATH'], endOnFailure: true } : {}),
    })
  }, LONG ? 1_800_000 : 300_000)
})
