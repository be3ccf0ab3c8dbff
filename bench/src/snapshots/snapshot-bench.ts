/**
 * Snapshots (issue 17, compute-peer/src/snapshots) measured: a snapshot of a project of many files with each
 * driver side by side (`btrfs` on a loop-device BTRFS made for the run, `copy` on the same BTRFS (reflinks)
 * and `copy` on the temporary directory's filesystem), a second snapshot after one file changed, restoring one
 * file and the whole project. The loop device is made like compute-peer/test/snapshots/btrfs-loop.ts, in a
 * temporary directory, and unmounted and removed after; when the host cannot (not root, no btrfs-progs, no
 * loop device) the btrfs rows say why.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSnapshotDriver, type SnapshotDriver, type SnapshotDriverKind } from '@quire/compute-peer'

const now = (): number => performance.now()

export interface SnapshotBenchRow {
  /** `btrfs`, `copy on btrfs`, `copy on <fs>`. */
  readonly setup: string
  readonly files: number
  readonly bytes: number
  /** Why this setup could not run (the rest is then empty). */
  readonly skipped?: string
  /** First snapshot of the whole project, ms. */
  readonly first?: number
  /** Median of the snapshots taken each after one file changed, ms. */
  readonly next?: number
  readonly nextSamples?: number
  /** Restore of one deleted file, ms. */
  readonly restoreFile?: number
  /** Restore of the project after 1 % of its files changed and one folder was deleted, ms. */
  readonly restoreSome?: number
  readonly restoreSomeWritten?: number
  /** Restore of the project after every file was deleted, ms. */
  readonly restoreAll?: number
  readonly restoreAllWritten?: number
  /** btrfs only: the bare `btrfs subvolume snapshot -r` command after one file changed (median, ms): the floor. */
  readonly bareCommand?: number
  /** What the snapshots hold that the workspace does not, at the end (bytes). */
  readonly snapshotBytes?: number
}

interface Loop { mount: string; close(): Promise<void> }

/** A BTRFS on a loop device in a temporary directory, or the reason there is none. */
async function btrfsLoop(sizeMb: number): Promise<Loop | { reason: string }> {
  if (process.geteuid?.() !== 0) return { reason: 'not root: mounting a loop-device BTRFS needs root' }
  const tool = ['/usr/sbin/mkfs.btrfs', '/sbin/mkfs.btrfs', '/usr/bin/mkfs.btrfs'].find((p) => existsSync(p))
  if (tool === undefined) return { reason: 'btrfs-progs is not installed (apt-get install btrfs-progs)' }
  if (!existsSync('/dev/loop-control')) return { reason: 'no loop devices on this host (/dev/loop-control missing)' }
  const dir = await mkdtemp(join(tmpdir(), 'quire-bench-btrfs-'))
  const image = join(dir, 'fs.img')
  const mount = join(dir, 'mnt')
  try {
    await mkdir(mount)
    execFileSync('truncate', ['-s', `${sizeMb}M`, image])
    execFileSync(tool, ['-q', image], { stdio: 'pipe' })
    execFileSync('mount', ['-o', 'loop', image, mount], { stdio: 'pipe' })
    execFileSync('btrfs', ['quota', 'enable', mount], { stdio: 'pipe' })
  } catch (err) {
    try { execFileSync('umount', ['-l', mount], { stdio: 'pipe' }) } catch { /* it was not mounted */ }
    await rm(dir, { recursive: true, force: true })
    return { reason: `could not make a loop-device BTRFS: ${(err as Error).message.split('\n')[0]}` }
  }
  return {
    mount,
    async close() {
      execFileSync('umount', ['-l', mount], { stdio: 'pipe' })
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** `files` files of `fileBytes` each, 100 to a folder, with varied bytes (so nothing compresses or dedupes). */
async function populate(workdir: string, files: number, fileBytes: number): Promise<void> {
  const block = Buffer.alloc(fileBytes)
  for (let i = 0; i < files; i++) {
    const folder = join(workdir, `d${String(Math.floor(i / 100)).padStart(3, '0')}`)
    if (i % 100 === 0) await mkdir(folder, { recursive: true })
    block.writeUInt32LE(i, 0)
    for (let j = 4; j < fileBytes; j += 4096) block.writeUInt32LE((i * 2654435761 + j) >>> 0, j)
    await writeFile(join(folder, `f${i}.dat`), block)
  }
}

const path = (i: number): string => `d${String(Math.floor(i / 100)).padStart(3, '0')}/f${i}.dat`

async function measure(setup: string, kind: SnapshotDriverKind, base: string, files: number, fileBytes: number, nextSamples: number): Promise<SnapshotBenchRow> {
  const workdir = join(base, 'workspace')
  const driver: SnapshotDriver = createSnapshotDriver(kind, { workdir, store: join(base, 'snapshots') })
  await driver.prepare()
  await populate(workdir, files, fileBytes)
  execFileSync('sync')
  let t = now()
  const first = await driver.create({ kind: 'named', name: 'first' })
  const firstMs = now() - t
  const next: number[] = []
  for (let k = 0; k < nextSamples; k++) {
    await writeFile(join(workdir, path(k)), `changed ${k}\n`)
    t = now()
    await driver.create({ kind: 'auto', reason: 'interval' })
    next.push(now() - t)
  }
  // One file deleted, then restored from the first snapshot.
  await unlink(join(workdir, path(files - 1)))
  t = now()
  await driver.restore(first.id, path(files - 1))
  const restoreFile = now() - t
  // 1 % of the files changed and one folder deleted, then the whole project restored.
  for (let i = 0; i < Math.max(1, Math.floor(files / 100)); i++) await writeFile(join(workdir, path(i * 97 % files)), 'edited\n')
  await rm(join(workdir, 'd000'), { recursive: true, force: true })
  t = now()
  const some = await driver.restore(first.id, '')
  const restoreSome = now() - t
  // Every file deleted, then the whole project restored.
  for (const d of new Set(Array.from({ length: files }, (_, i) => path(i).split('/')[0]!))) await rm(join(workdir, d), { recursive: true, force: true })
  t = now()
  const all = await driver.restore(first.id, '')
  const restoreAll = now() - t
  const usage = await driver.usage()
  // The floor under the driver's snapshot (its records, its checks): the command alone, on the same subvolume.
  let bareCommand: number | undefined
  if (kind === 'btrfs') {
    const bare: number[] = []
    for (let k = 0; k < nextSamples; k++) {
      await writeFile(join(workdir, path(k)), `bare ${k}\n`)
      t = now()
      execFileSync('btrfs', ['subvolume', 'snapshot', '-r', workdir, join(base, `bare-${k}`)], { stdio: 'pipe' })
      bare.push(now() - t)
    }
    bareCommand = median(bare)
  }
  return {
    ...(bareCommand !== undefined && { bareCommand }),
    setup, files, bytes: files * fileBytes, first: firstMs, next: median(next), nextSamples, restoreFile,
    restoreSome, restoreSomeWritten: some.written, restoreAll, restoreAllWritten: all.written, snapshotBytes: usage.snapshotBytes,
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? NaN
}

function fsName(dir: string): string {
  try {
    return execFileSync('stat', ['-f', '-c', '%T', dir]).toString().trim()
  } catch {
    return 'the temporary directory'
  }
}

/** Runs every setup on a project of `files` files of `fileBytes` each. */
export async function snapshotBench(files: number, fileBytes: number, nextSamples: number): Promise<SnapshotBenchRow[]> {
  const rows: SnapshotBenchRow[] = []
  const bytes = files * fileBytes
  // Room for the project, the copy driver's first full copy (it copies when reflinks are off) and the restores.
  const loop = await btrfsLoop(Math.max(1024, Math.ceil((bytes * 4) / 1024 / 1024) + 512))
  if ('reason' in loop) {
    rows.push({ setup: 'btrfs', files, bytes, skipped: loop.reason }, { setup: 'copy on btrfs (reflinks)', files, bytes, skipped: loop.reason })
  } else {
    try {
      for (const [setup, kind] of [['btrfs', 'btrfs'], ['copy on btrfs (reflinks)', 'copy']] as const) {
        const base = join(loop.mount, kind)
        await mkdir(base)
        rows.push(await measure(setup, kind, base, files, fileBytes, nextSamples))
        console.error(`[bench] snapshots: ${setup} done`)
      }
    } finally {
      await loop.close()
    }
  }
  const dir = await mkdtemp(join(tmpdir(), 'quire-bench-snapshots-'))
  try {
    rows.push(await measure(`copy on ${fsName(dir)}`, 'copy', dir, files, fileBytes, nextSamples))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  return rows
}
