import { afterEach, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { addFile } from '@quire/crdt'
import { promises as fs, writeFileSync } from 'node:fs'
import type { WorkspaceProblemCode } from '../../src/index.js'
import { settle, until, workspaceHarness, type WorkspaceHarness } from './harness.js'

let h: WorkspaceHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

function codes(): Map<string, WorkspaceProblemCode> {
  return new Map(h!.workspace.status.problems.map((p) => [p.path, p.code]))
}

describe('workspace: bad input', () => {
  it('[W12] a bad name, a too long path, a symlink, a FIFO and a too large file are skipped with stable codes; the rest syncs', async () => {
    h = await workspaceHarness({ limits: { maxFileBytes: 1000 } })
    const ws = await h.start()
    writeFileSync(Buffer.concat([Buffer.from(`${h.dir}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]), 'x')
    const segment = 'd'.repeat(200)
    execFileSync('bash', ['-c', `cd "$1" && for i in $(seq 21); do mkdir ${segment} && cd ${segment}; done; echo deep > f.txt`, 'bash', h.dir])
    await fs.symlink('/etc/hostname', h.disk('link-out'))
    execFileSync('mkfifo', [h.disk('pipe')])
    await fs.writeFile(h.disk('huge.bin'), new Uint8Array(2000))
    await fs.writeFile(h.disk('fine.txt'), 'still synced')
    await until(async () => (await h!.textAt('fine.txt')) === 'still synced' && codes().size >= 5, 'the good file and five problems')
    await settle(ws)
    const found = codes()
    expect(found.get('bad-\uFFFD\uFFFD.txt')).toBe('WORKSPACE_BAD_NAME')
    expect([...found.values()]).toContain('WORKSPACE_PATH_TOO_LONG')
    expect(found.get('link-out')).toBe('WORKSPACE_SYMLINK')
    expect(found.get('pipe')).toBe('WORKSPACE_SPECIAL_FILE')
    expect(found.get('huge.bin')).toBe('WORKSPACE_FILE_TOO_LARGE')
    expect(h.files().map((f) => f.path)).toEqual(['fine.txt'])
    // Removing the bad files clears their problems.
    await fs.rm(h.disk('huge.bin'))
    await fs.rm(h.disk('link-out'))
    await until(() => !codes().has('huge.bin') && !codes().has('link-out'), 'problems cleared')
  })

  it('[W13] the file count and total size limits refuse new files with stable codes, and the status says full', async () => {
    h = await workspaceHarness({ limits: { maxFiles: 2, maxTotalBytes: 100 } })
    h.addText('a.txt', 'a')
    const ws = await h.start()
    await fs.writeFile(h.disk('big.txt'), 'x'.repeat(150))
    await until(() => codes().get('big.txt') === 'WORKSPACE_FULL', 'WORKSPACE_FULL')
    expect(ws.status.state).toBe('full')
    await fs.writeFile(h.disk('b.txt'), 'b')
    await until(async () => (await h!.textAt('b.txt')) === 'b', 'b.txt within the limits')
    await fs.writeFile(h.disk('c.txt'), 'c')
    await until(() => codes().get('c.txt') === 'WORKSPACE_TOO_MANY_FILES', 'WORKSPACE_TOO_MANY_FILES')
    expect(h.files().map((f) => f.path).sort()).toEqual(['a.txt', 'b.txt'])
  })
})

describe('workspace: missing blobs', () => {
  it('[W19] a blob entry whose bytes are not here is reported WORKSPACE_BLOB_MISSING and written once they arrive', async () => {
    h = await workspaceHarness()
    const bytes = new Uint8Array([9, 8, 7, 0, 1])
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    h.project.change((d) => { addFile(d, { path: 'later.bin', kind: 'blob', sha256, size: bytes.length, mime: 'application/octet-stream' }) })
    const ws = await h.start()
    await until(() => codes().get('later.bin') === 'WORKSPACE_BLOB_MISSING', 'the missing blob reported')
    await h.blobs.put(bytes)
    await until(async () => (await fs.readFile(h!.disk('later.bin')).catch(() => undefined))?.equals(Buffer.from(bytes)) === true, 'the blob written')
    await settle(ws)
    expect(codes().has('later.bin')).toBe(false)
  })
})
