import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateAutomergeUrl, parseAutomergeUrl, type DocumentId } from '@automerge/automerge-repo'
import { multiaddr } from '@multiformats/multiaddr'
import { generateKeyPair } from '@libp2p/crypto/keys'
import {
  ProjectIndex,
  accessShareConfig,
  accessWriteFilter,
  canWrite,
  createQuireNode,
  createQuireRepo,
  inviteFromUrl,
  verifyInvite,
  type QuireNode,
} from '@quire/node'
import { startProcess, stopAllProcesses, waitUntil, type PeerProcess } from '@quire/node/testing'
import { runProjectCommand } from '../src/project/index.js'

const RELAY_CLI = fileURLToPath(new URL('../../relay/dist/cli.js', import.meta.url))
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(() => stopAllProcesses())

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'quire-project-cli-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** Runs `quire project ...` in-process; returns its exit code and what it printed. */
async function quireProject(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runProjectCommand(args, { stdout: (t) => { stdout += t }, stderr: (t) => { stderr += t }, cwd: tmpdir(), env: {} })
  return { code, stdout, stderr }
}

interface Relay { proc: PeerProcess; peerId: string; tcp: string; ws: string; http: string }
let relay: Relay

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'quire-project-relay-'))
  const proc = await startProcess(RELAY_CLI, { name: 'relay', args: ['--data-dir', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--allow-loopback'] })
  const info = proc.info as unknown as { peerId: string; addresses: string[]; httpUrls: string[] }
  relay = { proc, peerId: info.peerId, tcp: info.addresses.find((a) => !a.includes('/ws'))!, ws: info.addresses.find((a) => a.includes('/ws'))!, http: info.httpUrls[0]! }
  return async () => {
    await proc.stop()
    await rm(dir, { recursive: true, force: true })
  }
})

/** A member's device that reads the project from the relay alone. */
async function memberDevice(): Promise<{ id: string; node: QuireNode; index: ProjectIndex }> {
  const key = await generateKeyPair('Ed25519')
  const node = await createQuireNode({ role: 'peer', listen: [], allowLoopback: true, privateKey: key })
  const index = new ProjectIndex()
  const q = await createQuireRepo({ libp2p: node, shareConfig: accessShareConfig({ index }), wrapNetwork: [accessWriteFilter({ index })] })
  await index.attach(q.repo)
  cleanups.push(async () => {
    index.stop()
    await q.stop()
    await new Promise((r) => setTimeout(r, 200))
    await node.stop()
  })
  return { id: node.peerId.toString(), node, index }
}

const healthz = async (): Promise<{ documentsHosted: number }> => (await fetch(`${relay.http}/healthz`)).json() as Promise<{ documentsHosted: number }>

describe('quire project', () => {
  it('prints help for itself and each command, and names a bad flag', async () => {
    const someId = parseAutomergeUrl(generateAutomergeUrl()).documentId
    expect((await quireProject(['--help'])).stdout).toContain('Usage: quire project <command>')
    for (const command of ['create', 'grant', 'revoke', 'invite', 'members']) {
      const { code, stdout } = await quireProject([command, '--help'])
      expect(code).toBe(0)
      expect(stdout).toContain(`Usage: quire project ${command}`)
      expect(stdout).toContain('--data-dir')
    }
    await expect(quireProject(['create', '--name', 'x', '--colour', 'red'])).rejects.toMatchObject({ code: 'QUIRE_FLAG_INVALID', message: expect.stringContaining('"--colour"') })
    await expect(quireProject(['create'])).rejects.toMatchObject({ message: expect.stringContaining('--name') })
    await expect(quireProject(['grant', '--project', someId, '--peer', 'nobody', '--role', 'writer'])).rejects.toMatchObject({ code: 'QUIRE_FLAG_INVALID', message: expect.stringContaining('--peer') })
    await expect(quireProject(['grant', '--project', someId, '--peer', relay.peerId, '--role', 'boss'])).rejects.toMatchObject({ message: expect.stringContaining('--role') })
    await expect(quireProject(['members', '--project', 'not a project'])).rejects.toMatchObject({ message: expect.stringContaining('--project') })
    await expect(quireProject(['frobnicate'])).rejects.toMatchObject({ code: 'QUIRE_FLAG_INVALID', message: expect.stringContaining('frobnicate') })
  })

  it('create, grant, members, invite and revoke against a real relay, which ends up holding every change', async () => {
    const dataDir = await tempDir()
    const common = ['--data-dir', dataDir, '--relay', relay.tcp]
    const created = await quireProject(['create', '--name', 'Lab notes', ...common])
    expect(created.code).toBe(0)
    const project = /^project (\S+)$/m.exec(created.stdout)![1] as DocumentId
    const owner = /^owner (\S+)$/m.exec(created.stdout)![1]!
    expect(created.stdout).toContain(`url automerge:${project}`)
    // The relay was granted, asked, and acknowledged the project, grants and chat documents.
    expect((await healthz()).documentsHosted).toBeGreaterThanOrEqual(3)

    const member = await memberDevice()
    const granted = await quireProject(['grant', '--project', project, '--peer', member.id, '--role', 'writer', ...common])
    expect(granted.code).toBe(0)
    expect(granted.stdout).toMatch(/^grant \S{86}$/m)

    // The member's device reaches only the relay, and finds itself a writer there.
    await member.index.track(project, { owner, provisionalReaders: [relay.peerId] })
    await member.node.dial(multiaddr(relay.tcp))
    await waitUntil(async () => {
      const m = await member.index.membership(project, Date.now())
      return m !== undefined && canWrite(m, member.id)
    }, 20_000, 'the member seeing its grant through the relay')

    const members = await quireProject(['members', '--project', `automerge:${project}`, ...common])
    const lines = members.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^PEER\s+ROLES\s+NOTE$/)
    expect(lines.find((l) => l.startsWith(owner))).toMatch(/admin\s+owner, this device$/)
    expect(lines.find((l) => l.startsWith(member.id))).toMatch(/writer$/)
    expect(lines.find((l) => l.startsWith(relay.peerId))).toMatch(/relay\s+the --relay$/)

    const invited = await quireProject(['invite', '--project', project, '--role', 'reader', '--uses', '3', '--data-dir', dataDir, '--relay', relay.ws])
    const link = invited.stdout.trim()
    expect(link.startsWith(`${relay.http}/#invite=`)).toBe(true)
    const invite = await verifyInvite(inviteFromUrl(link)!, { now: Date.now() })
    expect(invite).toMatchObject({ project, owner, role: 'reader', uses: 3 })

    const revoked = await quireProject(['revoke', '--project', project, '--peer', member.id, ...common])
    expect(revoked.stdout).toMatch(/^revocation \S{86}$/m)
    expect((await quireProject(['members', '--project', project, ...common])).stdout).not.toContain(member.id)

    // Another identity is no admin: it is told so, with what to do.
    const stranger = await tempDir()
    await expect(quireProject(['grant', '--project', project, '--peer', member.id, '--role', 'admin', '--data-dir', stranger, '--relay', relay.tcp, '--timeout-ms', '3000']))
      .rejects.toMatchObject({ code: expect.stringMatching(/QUIRE_NOT_ADMIN|QUIRE_PROJECT_UNAVAILABLE/) })
  })

  it('revoking the relay tells it, and it stops serving the project; a new grant brings it back', async () => {
    const dataDir = await tempDir()
    const common = ['--data-dir', dataDir, '--relay', relay.tcp]
    const project = /^project (\S+)$/m.exec((await quireProject(['create', '--name', 'Short lived', ...common])).stdout)![1]!
    const revoked = await quireProject(['revoke', '--project', project, '--peer', relay.peerId, ...common])
    expect(revoked.code).toBe(0)
    expect(revoked.stderr).toContain('The relay stopped hosting it')
    // A fresh copy of the same identity cannot fetch the project from the relay any more.
    const copy = await tempDir()
    const { cp } = await import('node:fs/promises')
    await cp(join(dataDir, 'identity.key'), join(copy, 'identity.key'))
    await expect(quireProject(['members', '--project', project, '--data-dir', copy, '--relay', relay.tcp, '--timeout-ms', '3000']))
      .rejects.toMatchObject({ code: 'QUIRE_PROJECT_UNAVAILABLE' })

    // Granting it again brings the relay back: the same copy now fetches the project through it.
    expect((await quireProject(['grant', '--project', project, '--peer', relay.peerId, '--role', 'relay', ...common])).code).toBe(0)
    const again = await quireProject(['members', '--project', project, '--data-dir', copy, '--relay', relay.tcp])
    expect(again.stdout).toMatch(new RegExp(`^${relay.peerId}\\s+relay`, 'm'))
  })
})
