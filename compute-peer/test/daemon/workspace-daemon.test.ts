/**
 * The workspace in the running compute peer (W31): a member (child process) and the compute daemon (child
 * process, real sandboxed ipykernel, workspace runner in the sandbox). A cell reads a file the member made,
 * and the files a cell writes reach the member's file tree, marked as made by the compute peer.
 */
import { rm } from 'node:fs/promises'
import { stopAllProcesses, type PeerProcess } from '@quire/node/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMemberWithCompute, type MemberCellReport, type NotebookMemberCommands } from '../../src/testing/index.js'

let member: PeerProcess<NotebookMemberCommands>
let computeId: string
let dataDir: string

async function runToEnd(source: string, timeoutMs = 120_000): Promise<MemberCellReport> {
  const id = await member.request('runCell', { source })
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const report = await member.request('cell', { id })
    if (report.status === 'done' || report.status === 'error') return report
    if (Date.now() > deadline) throw new Error(`the cell did not finish: ${JSON.stringify(report).slice(0, 500)}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

async function until<T>(get: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await get()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value).slice(0, 500)}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

beforeAll(async () => {
  const world = await startMemberWithCompute('quire-ws-daemon-')
  ;({ member, dataDir } = world)
  computeId = world.compute.info.peerId
}, 180_000)

afterAll(async () => {
  await stopAllProcesses()
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
})

describe('the workspace in the compute daemon', () => {
  it('[W31] a cell reads a file a member made; the files it writes reach the member, made by the compute peer', async () => {
    await member.request('addText', { path: 'data/input.csv', content: 'a,b\n1,2\n3,4\n' })
    // The runner writes the member's file into the workspace; the kernel's working directory is the workspace.
    const read = await until(
      () => runToEnd("import os\nprint(open('data/input.csv').read() if os.path.exists('data/input.csv') else 'missing', end='')"),
      (r) => r.outputs[0]?.head !== 'missing', 'data/input.csv in the kernel', 60_000)
    expect(read.outputs[0]?.head).toBe('a,b\n1,2\n3,4\n')

    const wrote = await runToEnd([
      "import csv, zlib, struct",
      "rows = list(csv.reader(open('data/input.csv')))",
      "open('out.csv', 'w').write('sum\\n' + '\\n'.join(str(int(a) + int(b)) for a, b in rows[1:]) + '\\n')",
      // A 1x1 PNG, written as a program would: bytes, not text.
      "def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))",
      "png = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 1, 1, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(b'\\x00\\xff\\x00\\x00')) + chunk(b'IEND', b'')",
      "open('fig.png', 'wb').write(png)",
      "print('written')",
    ].join('\n'))
    expect(wrote.status).toBe('done')
    const files = await until(() => member.request('files', undefined), (f) => f.some((e) => e.path === 'out.csv') && f.some((e) => e.path === 'fig.png'), 'out.csv and fig.png at the member')
    expect(files.find((e) => e.path === 'out.csv')).toMatchObject({ kind: 'text', createdBy: computeId })
    expect(files.find((e) => e.path === 'fig.png')).toMatchObject({ kind: 'blob', createdBy: computeId })
    expect(await member.request('readText', { path: 'out.csv' })).toBe('sum\n3\n7\n')
    // The member's own file is not duplicated or remade by the round trip.
    expect(files.filter((e) => e.path === 'data/input.csv')).toHaveLength(1)
  }, 240_000)

  it('[W40] members are told the workspace\'s status by the compute peer: up to date once it has written everything', async () => {
    const status = await until(() => member.request('workspaceStatus', undefined), (s) => s?.state === 'idle', 'an idle status from the compute peer')
    expect(status).toMatchObject({ senderId: computeId, state: 'idle', pending: 0 })
  })
})

