/**
 * `/quire/snapshot/1.0.0` over real libp2p on loopback (N14-N18): a compute-side peer serving a project's
 * snapshots (copy driver, real disk) and member peers with real grants: readers list, browse and read,
 * writers take named snapshots and restore, strangers and bad requests get stable codes, the peer stays up.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DocumentId } from '@automerge/automerge-repo'
import { createProjectWithGrants, type CreatedProject } from '@quire/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestSnapshots, serveSnapshots, snapshotService, MAX_SNAPSHOT_READ_BYTES, type ProjectSnapshots, type SnapshotInfo, type SnapshotRequest } from '../../src/snapshots/index.js'
import { grant, member, type Member } from '../daemon/peers.js'

let owner: Member, writer: Member, reader: Member, stranger: Member
let project: CreatedProject
let service: ProjectSnapshots
let server: { stop(): Promise<void> }
let dir: string
let workdir: string
let first: SnapshotInfo

beforeAll(async () => {
  [owner, writer, reader, stranger] = await Promise.all([member(), member(), member(), member()])
  project = await createProjectWithGrants(owner.q.repo, { name: 'P', owner: owner.key, index: owner.index })
  await grant(owner, project, writer.id, 'writer')
  await grant(owner, project, reader.id, 'reader')
  dir = await mkdtemp(join(tmpdir(), 'quire-snapshot-protocol-'))
  workdir = join(dir, 'ws')
  const registry = new Map<DocumentId, ProjectSnapshots>()
  await mkdir(workdir)
  const roles = async (peer: string): Promise<readonly string[]> => (await owner.index.membership(project.id, Date.now()))?.members.get(peer)?.roles ?? []
  service = await snapshotService({ kind: 'copy', policy: { intervalMs: 3_600_000 }, registry })({
    project: project.id, repo: owner.q.repo, workdir, peerId: owner.id, signal: new AbortController().signal,
    stateDir: (name) => join(dir, 'services', name), network: () => false, log: () => {},
    canRead: (peer) => owner.index.canRead(project.id, peer, Date.now()),
    isWriter: async (peer) => (await roles(peer)).some((r) => r === 'writer' || r === 'admin'),
  }) as ProjectSnapshots
  server = await serveSnapshots({ libp2p: owner.node, registry })
  await writeFile(join(workdir, 'results.csv'), 'x,y\n1,2\n')
  first = (await service.tick())!
}, 60_000)

afterAll(async () => {
  await server?.stop()
  await service?.stop()
  await Promise.all([owner, writer, reader, stranger].map((m) => m?.stop()))
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
})

function ask(from: Member, request: Omit<SnapshotRequest, 'project'> & { project?: string }): Promise<Record<string, unknown>> {
  return requestSnapshots(from.node, owner.node.getMultiaddrs(), { project: project.id, ...request } as SnapshotRequest)
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

describe('/quire/snapshot/1.0.0', () => {
  it('[N14] a reader lists snapshots, browses one and reads a file from it', async () => {
    const listed = await ask(reader, { op: 'list' })
    expect((listed['snapshots'] as SnapshotInfo[]).map((s) => s.id)).toEqual([first.id])
    expect((listed['snapshots'] as SnapshotInfo[])[0]!.heads![project.id]).toBeDefined()
    const browsed = await ask(reader, { op: 'browse', id: first.id, path: '' })
    expect(browsed).toMatchObject({ entries: [{ name: 'results.csv', type: 'file', size: 8 }], truncated: false })
    const read = await ask(reader, { op: 'read', id: first.id, path: 'results.csv' })
    expect(new TextDecoder().decode(read['bytes'] as Uint8Array)).toBe('x,y\n1,2\n')
    expect((await ask(reader, { op: 'usage' }))['usage']).toMatchObject({ snapshotBytes: expect.any(Number) })
  })

  it('[N15] a stranger and an unknown project get the same SNAPSHOT_ACCESS_DENIED', async () => {
    expect(await code(ask(stranger, { op: 'list' }))).toBe('SNAPSHOT_ACCESS_DENIED')
    expect(await code(ask(stranger, { op: 'read', id: first.id, path: 'results.csv' }))).toBe('SNAPSHOT_ACCESS_DENIED')
    expect(await code(ask(reader, { op: 'list', project: '4NMNnkMhL8jXrdJ9jamS58PAVdXu' }))).toBe('SNAPSHOT_ACCESS_DENIED')
  })

  it('[N16] readers may not take, restore or delete; writers take named snapshots, restore (after a snapshot of what is replaced) and delete', async () => {
    expect(await code(ask(reader, { op: 'take', name: 'mine' }))).toBe('SNAPSHOT_ACCESS_DENIED')
    expect(await code(ask(reader, { op: 'restore', id: first.id, path: 'results.csv' }))).toBe('SNAPSHOT_ACCESS_DENIED')
    await writeFile(join(workdir, 'results.csv'), 'broken')
    const taken = (await ask(writer, { op: 'take', name: 'broken state' }))['snapshot'] as SnapshotInfo
    expect(taken).toMatchObject({ kind: 'named', name: 'broken state', by: writer.id })
    expect(await readFile(join(workdir, 'results.csv'), 'utf8')).toBe('broken')
    await writeFile(join(workdir, 'results.csv'), 'broken twice')
    const restored = await ask(writer, { op: 'restore', id: first.id, path: 'results.csv' })
    expect(restored).toMatchObject({ written: 1, removed: 0, before: { kind: 'auto', reason: 'before-restore', by: writer.id } })
    expect(await readFile(join(workdir, 'results.csv'), 'utf8')).toBe('x,y\n1,2\n')
    expect(await code(ask(writer, { op: 'take', name: 'broken state' }))).toBe('SNAPSHOT_NAME_INVALID')
    // Named snapshots go only when a writer deletes them.
    expect(await code(ask(reader, { op: 'delete', id: taken.id }))).toBe('SNAPSHOT_ACCESS_DENIED')
    expect(await ask(writer, { op: 'delete', id: taken.id })).toMatchObject({ ok: true })
    expect(((await ask(reader, { op: 'list' }))['snapshots'] as SnapshotInfo[]).some((s) => s.id === taken.id)).toBe(false)
    expect(await code(ask(writer, { op: 'delete', id: taken.id }))).toBe('SNAPSHOT_NOT_FOUND')
  })

  it('[N17] malformed requests get SNAPSHOT_REQUEST_INVALID (or the driver\'s code) and the peer keeps answering', async () => {
    expect(await code(ask(reader, { op: 'format-disk' as 'list' }))).toBe('SNAPSHOT_REQUEST_INVALID')
    expect(await code(ask(reader, { op: 'read', id: first.id }))).toBe('SNAPSHOT_REQUEST_INVALID')
    expect(await code(ask(reader, { op: 'read', id: first.id, path: 42 as unknown as string }))).toBe('SNAPSHOT_REQUEST_INVALID')
    expect(await code(requestSnapshots(reader.node, owner.node.getMultiaddrs(), { op: 'list' } as SnapshotRequest))).toBe('SNAPSHOT_REQUEST_INVALID')
    expect(await code(ask(reader, { op: 'take', name: 'n'.repeat(20_000) }))).toBe('SNAPSHOT_REQUEST_INVALID') // frame over 16 KiB
    expect(await code(ask(reader, { op: 'read', id: first.id, path: '../../etc/passwd' }))).toBe('SNAPSHOT_PATH_INVALID')
    expect(await code(ask(reader, { op: 'read', id: '../x', path: 'a' }))).toBe('SNAPSHOT_NOT_FOUND')
    expect((await ask(reader, { op: 'list' }))['ok']).toBe(true)
  })

  it('[N18] reads are bounded: above the asked size or the protocol\'s 4 MiB, SNAPSHOT_FILE_TOO_LARGE', async () => {
    await writeFile(join(workdir, 'big.bin'), new Uint8Array(MAX_SNAPSHOT_READ_BYTES + 1))
    const s = (await service.tick())!
    expect(await code(ask(reader, { op: 'read', id: s.id, path: 'results.csv', maxBytes: 3 }))).toBe('SNAPSHOT_FILE_TOO_LARGE')
    expect(await code(ask(reader, { op: 'read', id: s.id, path: 'big.bin', maxBytes: 100 * MAX_SNAPSHOT_READ_BYTES }))).toBe('SNAPSHOT_FILE_TOO_LARGE')
    expect((await ask(reader, { op: 'read', id: s.id, path: 'results.csv', maxBytes: 8 }))['bytes']).toHaveLength(8)
  })

  it('[N30] browse leaves out the workspace\'s temporary folder and staged files, which restores never touch either', async () => {
    await mkdir(join(workdir, '.quire-tmp'), { recursive: true })
    await writeFile(join(workdir, '.quire-tmp', 'staged'), 'half')
    await writeFile(join(workdir, '.quire-tmp-abc'), 'half')
    await mkdir(join(workdir, 'sub'), { recursive: true })
    await writeFile(join(workdir, 'sub', '.quire-tmp-def'), 'half')
    await writeFile(join(workdir, 'sub', 'kept.txt'), 'kept')
    const s = (await service.tick())!
    const names = async (path: string): Promise<string[]> => ((await ask(reader, { op: 'browse', id: s.id, path }))['entries'] as Array<{ name: string }>).map((e) => e.name)
    expect(await names('')).toEqual(['big.bin', 'results.csv', 'sub'])
    expect(await names('sub')).toEqual(['kept.txt'])
  })
})
