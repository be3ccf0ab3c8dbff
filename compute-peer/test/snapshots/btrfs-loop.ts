/**
 * A BTRFS filesystem for tests: a loop image in a temp dir, mounted there, unmounted and removed by `close`.
 * When the host cannot (not root, no btrfs-progs, no loop device) `reason` says why and nothing is made.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type BtrfsLoop = { mount: string; close(): Promise<void> } | { reason: string }

export async function makeBtrfsLoop(sizeMb = 512): Promise<BtrfsLoop> {
  if (process.geteuid?.() !== 0) return { reason: 'not root: mounting a loop-device BTRFS needs root' }
  const tool = ['/usr/sbin/mkfs.btrfs', '/sbin/mkfs.btrfs', '/usr/bin/mkfs.btrfs'].find((p) => existsSync(p))
  if (tool === undefined) return { reason: 'btrfs-progs is not installed (apt-get install btrfs-progs)' }
  if (!existsSync('/dev/loop-control')) return { reason: 'no loop devices on this host (/dev/loop-control missing)' }
  const dir = await mkdtemp(join(tmpdir(), 'quire-btrfs-'))
  const image = join(dir, 'fs.img')
  const mount = join(dir, 'mnt')
  try {
    await mkdir(mount)
    execFileSync('truncate', ['-s', `${sizeMb}M`, image])
    execFileSync(tool, ['-q', image], { stdio: 'pipe' })
    execFileSync('mount', ['-o', 'loop', image, mount], { stdio: 'pipe' })
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    return { reason: `could not make a loop-device BTRFS: ${(err as Error).message.split('\n')[0]}` }
  }
  // Quotas on before any data, so qgroup figures are exact without a rescan.
  execFileSync('btrfs', ['quota', 'enable', mount], { stdio: 'pipe' })
  return {
    mount,
    async close() {
      execFileSync('umount', ['-l', mount], { stdio: 'pipe' })
      await rm(dir, { recursive: true, force: true })
    },
  }
}
