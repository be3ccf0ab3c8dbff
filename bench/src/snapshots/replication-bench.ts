/**
 * Replication of snapshots to a standby compute peer (compute-peer N19-N29) measured: a project of many files
 * is snapshotted and pushed whole over `/quire/snapshot-replica/1.0.0` between two libp2p nodes on loopback,
 * then one file is changed, snapshotted and pushed again (the increment). Both drivers: `btrfs` (two loop-device
 * BTRFS filesystems, `btrfs send -p` into `btrfs receive`; skipped with the reason where the host cannot) and
 * `copy` (format `files`: only changed files travel). Times include the receiver's verification.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createQuireNode } from '@quire/node'
import { BtrfsSnapshotDriver, CopySnapshotDriver, pushSnapshots, serveReplicas, type SnapshotDriverKind, type TransferStats } from '@quire/compute-peer'

export interface ReplicationRow {
  readonly driver: SnapshotDriverKind
  readonly files: number
  readonly projectBytes: number
  readonly full?: TransferStats & { readonly ms: number }
  readonly increment?: TransferStats & { readonly ms: number }
  /** Why the driver was not measured. */
  readonly skipped?: string
}

type Fs = { dir: string; close(): Promise<void> }

/** A loop-device BTRFS (root, btrfs-progs, loop devices), or why there is none. */
async function btrfsFs(sizeMb: number): Promise<Fs | string> {
  if (process.geteuid?.() !== 0) return 'not root: a loop-device BTRFS needs root'
  const mkfs = ['/usr/sbin/mkfs.btrfs', '/sbin/mkfs.btrfs', '/usr/bin/mkfs.btrfs'].find((p) => existsSync(p))
  if (mkfs === undefined) return 'btrfs-progs is not installed'
  const base = await mkdtemp(join(tmpdir(), 'quire-bench-btrfs-'))
  const image = join(base, 'fs.img')
  const dir = join(base, 'mnt')
  try {
    await mkdir(dir)
    execFileSync('truncate', ['-s', `${sizeMb}M`, image])
    execFileSync(mkfs, ['-q', image], { stdio: 'pipe' })
    execFileSync('mount', ['-o', 'loop', image, dir], { stdio: 'pipe' })
  } catch (err) {
    await rm(base, { recursive: true, force: true })
    return `could not make a loop-device BTRFS: ${(err as Error).message.split('\n')[0]}`
  }
  return { dir, async close() { execFileSync('umount', ['-l', dir], { stdio: 'pipe' }); await rm(base, { recursive: true, force: true }) } }
}

async function plainFs(): Promise<Fs> {
  const dir = await mkdtemp(join(tmpdir(), 'quire-bench-copy-'))
  return { dir, close: () => rm(dir, { recursive: true, force: true }) }
}

/** Writes `files` files of random bytes, `totalBytes` in all, 1,000 to a folder. */
async function fill(workdir: string, files: number, totalBytes: number): Promise<void> {
  const size = Math.max(1, Math.floor(totalBytes / files))
  for (let i = 0; i < files; i++) {
    const folder = join(workdir, `d${Math.floor(i / 1000)}`)
    if (i % 1000 === 0) await mkdir(folder, { recursive: true })
    await writeFile(join(folder, `f${i}.bin`), randomBytes(size))
  }
}

export async function replicationBench(files: number, totalBytes: number): Promise<ReplicationRow[]> {
  const rows: ReplicationRow[] = []
  for (const driver of ['btrfs', 'copy'] as const) {
    const fsMb = Math.ceil((totalBytes * 3) / (1024 * 1024)) + 512
    const a = driver === 'btrfs' ? await btrfsFs(fsMb) : await plainFs()
    const b = driver === 'btrfs' ? await btrfsFs(fsMb) : await plainFs()
    if (typeof a === 'string' || typeof b === 'string') {
      for (const f of [a, b]) if (typeof f !== 'string') await f.close()
      rows.push({ driver, files, projectBytes: totalBytes, skipped: typeof a === 'string' ? a : b as string })
      continue
    }
    const [sender, receiver] = await Promise.all([0, 1].map(() => createQuireNode({ role: 'peer', listen: ['/ip4/127.0.0.1/tcp/0'], allowLoopback: true })))
    try {
      const project = 'BenchProjectReplication1'
      const init = { workdir: join(a.dir, 'projects', project), store: join(a.dir, 'snapshots', project) }
      const source = driver === 'btrfs' ? new BtrfsSnapshotDriver(init) : new CopySnapshotDriver(init)
      await source.prepare()
      await fill(source.workdir, files, totalBytes)
      // Grants are not what is measured: both ends are taken for compute peers of the project.
      const access = { isComputePeer: async () => true, serving: () => false }
      const server = await serveReplicas({ libp2p: receiver!, access, root: join(b.dir, 'replicas'), kind: driver })
      const push = async (): Promise<TransferStats & { ms: number }> => {
        const started = performance.now()
        const [sent] = await pushSnapshots({ libp2p: sender!, to: receiver!.peerId.toString(), dial: receiver!.getMultiaddrs(), project, source, access })
        return { ...sent!, ms: performance.now() - started }
      }
      await source.create({ kind: 'auto' })
      const full = await push()
      await writeFile(join(source.workdir, 'd0', 'f0.bin'), randomBytes(Math.max(1, Math.floor(totalBytes / files))))
      await source.create({ kind: 'auto' })
      const increment = await push()
      rows.push({ driver, files, projectBytes: totalBytes, full, increment })
      await server.stop()
      for (const s of await source.list()) await source.delete(s.id)
    } finally {
      await Promise.all([sender!.stop(), receiver!.stop()])
      await a.close()
      await b.close()
    }
  }
  return rows
}

// `node bench/dist/snapshots/replication-bench.js [--quick]` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick')
  for (const r of await replicationBench(quick ? 1000 : 10_000, (quick ? 10 : 100) * 1024 * 1024)) console.log(JSON.stringify(r))
  process.exit(0)
}
