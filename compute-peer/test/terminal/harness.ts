/** A compute daemon (child process, real sandbox, real bash) serving one project, and member peers in this process. */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { createProjectWithGrants, listTerminals, openTerminal, PtyProtocolError, type CreatedProject, type OpenTerminalRequest, type PtyTerminalInfo } from '@quire/node'
import { stopAllProcesses, type PeerProcess } from '@quire/node/testing'
import { startComputeProcess, ScreenViewer } from '../../src/testing/index.js'
import { grant, member, type Member } from '../daemon/peers.js'

export interface TerminalWorld {
  writer: Member
  writer2: Member
  reader: Member
  stranger: Member
  project: CreatedProject
  compute: { proc: PeerProcess; info: { peerId: string; addresses: string[] } }
  dataDir: string
  workdir: string
  stop(): Promise<void>
}

export async function terminalWorld(args: string[] = []): Promise<TerminalWorld> {
  const writer = await member()
  const writer2 = await member()
  const reader = await member()
  const stranger = await member()
  const project = await createProjectWithGrants(writer.q.repo, { name: 'Terminals', owner: writer.key, index: writer.index })
  const dataDir = await mkdtemp(join(tmpdir(), 'quire-terminal-test-'))
  const compute = await startComputeProcess(['--data-dir', dataDir, '--project', `${project.id}@${writer.id}`, ...args])
  await grant(writer, project, compute.info.peerId, 'compute')
  await grant(writer, project, writer2.id, 'writer')
  await grant(writer, project, reader.id, 'reader')
  const address = multiaddr(compute.info.addresses[0]!)
  for (const m of [writer, writer2, reader, stranger]) await m.node.dial(address)
  const world: TerminalWorld = {
    writer, writer2, reader, stranger, project, compute, dataDir,
    workdir: join(dataDir, 'projects', project.id),
    async stop() {
      await stopAllProcesses()
      for (const m of [writer, writer2, reader, stranger]) await m.stop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
  // Served once the compute peer has the project and its grants: until then it answers PTY_NOT_SERVED.
  const deadline = Date.now() + 60_000
  for (;;) {
    try {
      await list(world, writer)
      return world
    } catch (err) {
      if (!(err instanceof PtyProtocolError) || err.code !== 'PTY_NOT_SERVED' || Date.now() > deadline) throw err
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

export function list(world: TerminalWorld, who: Member): Promise<PtyTerminalInfo[]> {
  return listTerminals(who.node, multiaddr(world.compute.info.addresses[0]!), world.project.id)
}

/** Opens (with `name`) or attaches (with `id`) as `who`, showing output in a headless screen. */
export async function view(world: TerminalWorld, who: Member, what: { name: string } | { id: string }, size = { cols: 80, rows: 24 }, manualAck = false): Promise<ScreenViewer> {
  const request = { project: world.project.id, ...what, ...size } as OpenTerminalRequest
  const viewer = await openTerminal(who.node, multiaddr(world.compute.info.addresses[0]!), request, { ack: manualAck ? 'manual' : 'auto' })
  return new ScreenViewer(viewer, manualAck)
}

/** The error code a promise rejects with. */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
    return undefined
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message
  }
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Host processes whose command line contains `text` (the sandbox's pid namespace does not hide them from the host). */
export function hostProcesses(text: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
  return out.split('\n').filter((line) => line.includes(text))
}
