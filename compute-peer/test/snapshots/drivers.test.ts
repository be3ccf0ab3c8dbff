import { chmod, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { BtrfsSnapshotDriver, CopySnapshotDriver, detectSnapshotDriver } from '../../src/snapshots/index.js'
import { runSnapshotDriverTests, type SnapshotDriverTestContext } from '../../src/testing/snapshot-driver-suite.js'
import { makeBtrfsLoop } from './btrfs-loop.js'

const loop = await makeBtrfsLoop()
const skip = 'reason' in loop ? loop.reason : undefined
afterAll(async () => {
  if ('mount' in loop) await loop.close()
})

async function context(root: string, make: (workdir: string, store: string) => CopySnapshotDriver | BtrfsSnapshotDriver): Promise<SnapshotDriverTestContext> {
  const dir = await mkdtemp(join(root, 'case-'))
  const outside = join(dir, 'outside')
  await mkdir(outside)
  return {
    driver: make(join(dir, 'projects', 'p1'), join(dir, 'snapshots', 'p1')),
    outside,
    teardown: async () => {
      const store = join(dir, 'snapshots', 'p1')
      const driver = make(join(dir, 'projects', 'p1'), store)
      for (const s of await driver.list()) await driver.delete(s.id)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

runSnapshotDriverTests('copy', () => context(tmpdir(), (workdir, store) => new CopySnapshotDriver({ workdir, store })))
runSnapshotDriverTests('btrfs', () => context('mount' in loop ? loop.mount : tmpdir(), (workdir, store) => new BtrfsSnapshotDriver({ workdir, store })), skip)

it('[N1] the driver is chosen from the data directory\'s filesystem', async () => {
  expect((await detectSnapshotDriver(tmpdir())).kind).toBe((await detectSnapshotDriver(tmpdir())).kind === 'btrfs' ? 'btrfs' : 'copy')
  if (skip !== undefined) {
    console.warn(`BTRFS detection not checked: ${skip}`)
    return
  }
  if (!('mount' in loop)) return
  expect(await detectSnapshotDriver(loop.mount)).toMatchObject({ kind: 'btrfs' })
  const driver = new BtrfsSnapshotDriver({ workdir: join(loop.mount, 'detect', 'p'), store: join(loop.mount, 'detect-snap', 'p') })
  await driver.prepare()
  expect((await lstat(driver.workdir)).ino).toBe(256) // a subvolume's root
})

it('[N2] the copy driver hard-links a file unchanged since the previous snapshot and copies a changed one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'quire-copy-'))
  try {
    const d = new CopySnapshotDriver({ workdir: join(dir, 'ws'), store: join(dir, 'store') })
    await d.prepare()
    await writeFile(join(d.workdir, 'same.txt'), 'same')
    await writeFile(join(d.workdir, 'changed.txt'), 'v1')
    // A file is linked only when its last change is well before the previous snapshot's copy of it.
    await new Promise((r) => setTimeout(r, 1_200))
    const s1 = await d.create({ kind: 'auto' })
    await writeFile(join(d.workdir, 'changed.txt'), 'v2 longer')
    const s2 = await d.create({ kind: 'auto' })
    const ino = async (id: string, f: string): Promise<number> => (await lstat(join(d.store, id, f))).ino
    expect(await ino(s2.id, 'same.txt')).toBe(await ino(s1.id, 'same.txt'))
    expect(await ino(s2.id, 'changed.txt')).not.toBe(await ino(s1.id, 'changed.txt'))
    expect(await ino(s1.id, 'same.txt')).not.toBe((await lstat(join(d.workdir, 'same.txt'))).ino) // never linked to the live file
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

it('[N2] a same-size change with the same modification time (one clock tick) is copied, not linked to the old bytes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'quire-copy-tick-'))
  try {
    const d = new CopySnapshotDriver({ workdir: join(dir, 'ws'), store: join(dir, 'store') })
    await d.prepare()
    const file = join(d.workdir, 'data.csv')
    await writeFile(file, 'v1')
    await new Promise((r) => setTimeout(r, 1_200))
    const s1 = await d.create({ kind: 'auto' })
    // File times are coarse: a write in the same tick keeps the time. Set it back to say so for sure.
    const { atime, mtime } = await lstat(file)
    await writeFile(file, 'v2')
    await utimes(file, atime, mtime)
    const s2 = await d.create({ kind: 'auto' })
    expect(await readFile(join(d.store, s2.id, 'data.csv'), 'utf8')).toBe('v2')
    expect(await readFile(join(d.store, s1.id, 'data.csv'), 'utf8')).toBe('v1')
    // And restoring s1 over it brings v1 back, though size, time and mode look alike.
    await d.restore(s1.id, 'data.csv')
    expect(await readFile(file, 'utf8')).toBe('v1')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

it('[N5] the copy driver never links a file through a link the previous snapshot holds', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'quire-copy-link-'))
  try {
    const d = new CopySnapshotDriver({ workdir: join(dir, 'ws'), store: join(dir, 'store') })
    await d.prepare()
    const outside = join(dir, 'outside')
    await mkdir(outside)
    await writeFile(join(outside, 'secret.txt'), 'SECRET')
    await chmod(join(outside, 'secret.txt'), 0o640)
    await symlink(outside, join(d.workdir, 'data'))
    await d.create({ kind: 'auto' }) // holds `data` as a link
    await rm(join(d.workdir, 'data'))
    await mkdir(join(d.workdir, 'data'))
    const decoy = join(d.workdir, 'data', 'secret.txt')
    await writeFile(decoy, 'XXXXXX') // same size, mode and time as the file the old link points to
    await chmod(decoy, 0o640)
    const s = await stat(join(outside, 'secret.txt'))
    await utimes(decoy, s.atime, s.mtime)
    const second = await d.create({ kind: 'auto' })
    expect(new TextDecoder().decode(await d.read(second.id, 'data/secret.txt'))).toBe('XXXXXX')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
