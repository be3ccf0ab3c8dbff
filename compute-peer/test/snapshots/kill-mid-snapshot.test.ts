/**
 * `kill -9` of a process taking snapshots (N3): whatever instant it dies at, every listed snapshot is whole,
 * and the next `prepare` removes what it left half made. The snapshots are taken by a child process running
 * the built driver, killed while it snapshots a workspace of many files.
 */
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { createSnapshotDriver, type SnapshotDriverKind } from '../../src/snapshots/index.js'
import { makeBtrfsLoop } from './btrfs-loop.js'

const loop = await makeBtrfsLoop(512)
const btrfsSkip = 'reason' in loop ? loop.reason : undefined
if (btrfsSkip !== undefined) console.warn(`kill -9 during a BTRFS snapshot SKIPPED: ${btrfsSkip}`)
afterAll(async () => {
  if ('mount' in loop) await loop.close()
})

const FILES = 1500
const dist = fileURLToPath(new URL('../../dist/snapshots/index.js', import.meta.url))

/** A child that snapshots forever, printing `start` before and the id after each. */
const CHILD = `
const { createSnapshotDriver } = await import(process.argv[1])
const d = createSnapshotDriver(process.argv[2], { workdir: process.argv[3], store: process.argv[4] })
await d.prepare()
for (;;) {
  process.stdout.write('start\\n')
  const s = await d.create({ kind: 'auto' })
  process.stdout.write('done ' + s.id + '\\n')
}
`

async function killMidSnapshot(kind: SnapshotDriverKind, workdir: string, store: string, afterStarts: number): Promise<void> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, dist, kind, workdir, store], { stdio: ['ignore', 'pipe', 'inherit'] })
  let starts = 0
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`the child exited by itself: ${code}`))))
    child.stdout.on('data', (chunk: Buffer) => {
      starts += chunk.toString().split('\n').filter((l) => l === 'start').length
      // Killed just after a snapshot began, at a varying point within it.
      if (starts >= afterStarts && child.exitCode === null) setTimeout(() => child.kill('SIGKILL'), afterStarts % 4)
    })
  })
}

for (const [kind, skip] of [['copy', undefined], ['btrfs', btrfsSkip]] as const) {
  describe(`kill -9 while taking a snapshot (${kind})`, () => {
    it.skipIf(skip !== undefined)('[N3] only whole snapshots are ever listed, and prepare removes the half-made one', async () => {
      const root = await mkdtemp(join(kind === 'btrfs' && 'mount' in loop ? loop.mount : tmpdir(), 'kill-'))
      try {
        const workdir = join(root, 'ws')
        const store = join(root, 'store')
        const d = createSnapshotDriver(kind, { workdir, store })
        await d.prepare()
        for (let i = 0; i < FILES; i++) {
          if (i % 100 === 0) await mkdir(join(workdir, `d${i / 100}`))
          await writeFile(join(workdir, `d${Math.floor(i / 100)}`, `f${i}.txt`), `file ${i}\n`)
        }
        for (const afterStarts of [1, 2, 3]) {
          await killMidSnapshot(kind, workdir, store, afterStarts)
          for (const s of await d.list()) {
            let count = 0
            for (const folder of await readdir(join(store, s.id))) count += (await readdir(join(store, s.id, folder))).length
            expect(count, `snapshot ${s.id} is whole`).toBe(FILES)
          }
        }
        await d.prepare()
        const listed = (await d.list()).map((s) => s.id)
        expect((await readdir(store)).sort()).toEqual(listed.flatMap((id) => [id, `${id}.json`]).sort())
        for (const id of listed) await d.delete(id)
      } finally {
        await rm(root, { recursive: true, force: true })
      }
    }, 120_000)
  })
}
