/**
 * A restore runs in the daemon (root) while the project's code may run: a process swapping a folder of the
 * workspace for a link to somewhere else as fast as it can must never get a restore to write, chmod or
 * delete anything there (N5). Every folder on the way is opened without following links and written
 * through its descriptor.
 */
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { CopySnapshotDriver } from '../../src/snapshots/index.js'

it('[N5] a restore racing a process that swaps folders for links never touches what the links point to', async () => {
  const root = await mkdtemp(join(tmpdir(), 'quire-restore-race-'))
  try {
    const outside = join(root, 'outside')
    const keep = join(outside, 'keep.txt')
    const d = new CopySnapshotDriver({ workdir: join(root, 'ws'), store: join(root, 'store') })
    await d.prepare()
    await mkdir(outside)
    await writeFile(keep, 'must survive')
    await mkdir(join(d.workdir, 'data', 'sub'), { recursive: true })
    for (let i = 0; i < 20; i++) await writeFile(join(d.workdir, 'data', 'sub', `f${i}.csv`), `row ${i}\n`)
    const s = await d.create({ kind: 'auto' })
    // The project's side: swap data/ and data/sub/ for links to `outside`, over and over.
    const script = `cd ${JSON.stringify(d.workdir)}; while :; do rm -rf data; ln -s ${JSON.stringify(outside)} data; rm -f data; mkdir -p data; ln -s ${JSON.stringify(outside)} data/sub; rm -f data/sub; mkdir -p data/sub; done`
    const attacker = spawn('bash', ['-c', script], { stdio: 'ignore' })
    try {
      for (let i = 0; i < 400; i++) {
        await d.restore(s.id, i % 3 === 0 ? '' : i % 3 === 1 ? 'data' : 'data/sub/f1.csv').catch(() => undefined)
      }
  } finally {
    attacker.kill('SIGKILL')
    await new Promise((r) => attacker.once('exit', r))
  }
  expect((await readdir(outside)).sort()).toEqual(['keep.txt'])
  expect((await stat(keep)).mode & 0o777).toBe(0o644)
  await d.restore(s.id, '')
  expect((await readdir(join(d.workdir, 'data', 'sub'))).length).toBe(20)
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}, 120_000)

it('[N5] a copy snapshot racing a process that swaps folders and files for links never reads what the links point to', async () => {
  const root = await mkdtemp(join(tmpdir(), 'quire-capture-race-'))
  try {
    const outside = join(root, 'outside')
    const d = new CopySnapshotDriver({ workdir: join(root, 'ws'), store: join(root, 'store') })
    await d.prepare()
    await mkdir(outside)
    await writeFile(join(outside, 'secret.txt'), 'SECRET')
    await mkdir(join(d.workdir, 'data'))
    await writeFile(join(d.workdir, 'data', 'secret.txt'), 'public')
    await writeFile(join(d.workdir, 'secret.txt'), 'public')
    const o = JSON.stringify(outside)
    const script = `cd ${JSON.stringify(d.workdir)}; while :; do rm -rf data; ln -s ${o} data; rm -f data; mkdir data; echo public > data/secret.txt; rm -f secret.txt; ln -s ${o}/secret.txt secret.txt; rm -f secret.txt; echo public > secret.txt; done`
    const attacker = spawn('bash', ['-c', script], { stdio: 'ignore' })
    const ids: string[] = []
    try {
      for (let i = 0; i < 150; i++) ids.push((await d.create({ kind: 'auto' })).id)
  } finally {
    attacker.kill('SIGKILL')
    await new Promise((r) => attacker.once('exit', r))
  }
  for (const id of ids) {
    for (const path of ['secret.txt', 'data/secret.txt']) {
      // Through the driver, which never follows a link: a link copied as a link is fine, its target's bytes are not.
      const text = await d.read(id, path).then((b) => new TextDecoder().decode(b), () => undefined)
      expect(text === undefined || text.startsWith('public') || text === '', `${id}/${path}`).toBe(true)
    }
  }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}, 120_000)
