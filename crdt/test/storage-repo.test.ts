import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import { Repo, type DocHandle } from '@automerge/automerge-repo'
import { LevelStorageAdapter } from '@quire/crdt'
import { ClassicLevel } from 'classic-level'
import { afterEach, describe, expect, it } from 'vitest'

interface TestDoc {
  title: string
  text: string
  items: { n: number; label: string }[]
}

const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function openRepo(dir: string): { repo: Repo; adapter: LevelStorageAdapter } {
  // As a relay would: durable writes, in a sublevel of a database that blobs may share.
  const adapter = new LevelStorageAdapter(new ClassicLevel(dir), { sublevel: 'docs', sync: true })
  const repo = new Repo({ storage: adapter, network: [] })
  return { repo, adapter }
}

async function stop({ repo, adapter }: { repo: Repo; adapter: LevelStorageAdapter }): Promise<void> {
  await repo.flush()
  await repo.shutdown()
  await adapter.close()
}

describe('automerge-repo over LevelStorageAdapter and classic-level', () => {
  it('[S21] a new Repo on the same directory finds every document with identical content and heads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quire-storage-repo-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))

    const first = openRepo(dir)
    let stopped = false
    cleanups.push(async () => {
      if (!stopped) await stop(first)
    })
    const handles: DocHandle<TestDoc>[] = []
    for (let d = 0; d < 12; d++) {
      const handle = first.repo.create<TestDoc>({ title: `doc ${d}`, text: '', items: [] })
      // Many small changes, so storage holds incremental chunks and compacted snapshots.
      for (let i = 0; i < 40; i++) {
        handle.change((doc) => {
          A.splice(doc, ['text'], doc.text.length, 0, `line ${i} of doc ${d} ✓\n`)
          if (i % 5 === 0) doc.items.push({ n: i, label: `item ${i}` })
        })
      }
      handles.push(handle)
    }
    await first.repo.flush()
    const expected = handles.map((h) => ({ url: h.url, doc: structuredClone(h.doc()), heads: h.heads() }))
    await stop(first)
    stopped = true

    const second = openRepo(dir)
    cleanups.push(() => stop(second))
    for (const { url, doc, heads } of expected) {
      const found = await second.repo.find<TestDoc>(url)
      expect(found.doc()).toEqual(doc)
      expect(found.heads()).toEqual(heads)
      expect(found.doc().text.split('\n')).toHaveLength(41)
    }
  })
})
