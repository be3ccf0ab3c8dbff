/** W43: the workspace on a BTRFS subvolume with a qgroup limit (N9): a write the quota refuses is WORKSPACE_FULL. */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import { addFile, deleteFile, spliceText } from '@quire/crdt'
import { makeBtrfsLoop } from '../snapshots/btrfs-loop.js'
import { settle, until, workspaceHarness, type WorkspaceHarness } from './harness.js'

const loop = await makeBtrfsLoop(256)
afterAll(async () => {
  if ('close' in loop) await loop.close()
})

let h: WorkspaceHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

describe.skipIf('reason' in loop)(`workspace: disk full${'reason' in loop ? ` (skipped: ${loop.reason})` : ''}`, () => {
  it('[W43] a file the workspace subvolume\'s qgroup limit refuses is WORKSPACE_FULL (status full), the rest keeps syncing, and the problem goes with the entry', async () => {
    const mount = (loop as { mount: string }).mount
    const dir = join(mount, 'ws')
    execFileSync('btrfs', ['subvolume', 'create', dir], { stdio: 'pipe' })
    execFileSync('btrfs', ['qgroup', 'limit', '512K', dir], { stdio: 'pipe' })
    try {
      h = await workspaceHarness({ dir })
      const text = h.addText('a.txt', 'small\n')
      const big = randomBytes(4 * 1024 * 1024)
      await h.blobs.put(big)
      let bigId = ''
      h.project.change((d) => { bigId = addFile(d, { path: 'big.bin', kind: 'blob', sha256: sha(big), size: big.length, mime: 'application/octet-stream' }) })
      const ws = await h.start()
      await until(() => ws.status.problems.some((p) => p.path === 'big.bin' && p.code === 'WORKSPACE_FULL') && ws.status.state === 'full', 'big.bin refused as WORKSPACE_FULL', 30_000).catch((err: Error) => { throw new Error(`${err.message}: ${JSON.stringify(ws.status)} ${h!.logs.join(' | ')}`) })
      expect(await fs.readFile(join(dir, 'a.txt'), 'utf8')).toBe('small\n')
      text.handle.change((d) => spliceText(d, 0, 0, 'still syncing: '))
      await until(async () => (await fs.readFile(join(dir, 'a.txt'), 'utf8')) === 'still syncing: small\n', 'a later edit on disk')
      expect(ws.status.problems.find((p) => p.path === 'big.bin')?.message).toMatch(/EDQUOT|ENOSPC/)
      h.project.change((d) => deleteFile(d, bigId))
      await until(() => ws.status.problems.length === 0, 'the problem gone with its entry', 30_000)
      await settle(ws)
      expect(ws.status.state).toBe('idle')
      await fs.access(join(dir, 'big.bin')).then(() => { throw new Error('big.bin should not be on disk') }, () => undefined)
    } finally {
      await h?.workspace?.stop()
    }
  }, 120_000)
})
