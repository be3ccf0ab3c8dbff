/** W42: a blob changed on disk and in the documents at once keeps both versions. */
import { afterEach, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { addFile, setBlob } from '@quire/crdt'
import { conflictName } from '../../src/workspace/blob-conflict.js'
import { settle, until, workspaceHarness, type WorkspaceHarness } from './harness.js'

let h: WorkspaceHarness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const bin = (...xs: number[]): Uint8Array => new Uint8Array([0, ...xs])

describe('workspace: blob conflicts (W42)', () => {
  it('[W42] a blob written on disk while a member replaced it: the member\'s bytes keep the path, the disk\'s become a conflict copy entry', async () => {
    h = await workspaceHarness()
    const v1 = bin(1)
    const member = bin(2, 2)
    const disk = bin(3, 3, 3)
    await h.blobs.put(v1)
    let id = ''
    h.project.change((d) => { id = addFile(d, { path: 'img/plot.png', kind: 'blob', sha256: sha(v1), size: v1.length, mime: 'image/png' }) })
    let ws = await h.start()
    await until(async () => (await fs.readFile(h!.disk('img/plot.png')).catch(() => undefined))?.equals(Buffer.from(v1)) === true, 'the first version on disk')
    await settle(ws)
    await ws.stop()
    // While stopped: a member replaces the bytes, a program writes other bytes.
    await h.blobs.put(member)
    h.project.change((d) => setBlob(d, id, { sha256: sha(member), size: member.length, mime: 'image/png' }))
    await fs.writeFile(h.disk('img/plot.png'), disk)
    ws = await h.start()
    const copyOf = (): string | undefined => h!.files().find((f) => f.kind === 'blob' && /^img\/plot \(conflict from [^)]+ \d{4}-\d\d-\d\d \d\d-\d\d-\d\d\)\.png$/.test(f.displayPath))?.displayPath
    await until(async () => copyOf() !== undefined && (await fs.readFile(h!.disk('img/plot.png')).catch(() => undefined))?.equals(Buffer.from(member)) === true, 'the member\'s bytes at the path and a conflict copy')
    await settle(ws)
    const entry = h.entryAt('img/plot.png')
    expect(entry?.id).toBe(id)
    expect(entry?.kind === 'blob' ? entry.sha256 : '').toBe(sha(member))
    const copy = h.entryAt(copyOf()!)
    expect(copy?.kind === 'blob' ? copy.sha256 : '').toBe(sha(disk))
    expect(copy?.createdBy).toBe('12D3KooWComputePeerIdForTests')
    expect(await fs.readFile(h.disk(copyOf()!))).toEqual(Buffer.from(disk))
    expect(h.files().filter((f) => f.kind === 'blob')).toHaveLength(2)
  }, 60_000)

  it('[W42] conflict names keep the extension and folder, say the peer and the UTC time, and are numbered when taken', () => {
    const at = new Date(Date.UTC(2026, 11, 7, 23, 10, 5))
    expect(conflictName('img/plot.png', 'eerIdFor', at)).toBe('img/plot (conflict from eerIdFor 2026-12-07 23-10-05).png')
    expect(conflictName('data', 'workspace', at, 2)).toBe('data (conflict from workspace 2026-12-07 23-10-05 2)')
  })
})
