/** Starting the `quire-compute` daemon as a child process in tests (always the compiled dist/cli.js). */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startProcess, type PeerProcess, type StartProcessOptions } from '@quire/node/testing'
import type { NotebookMemberCommands } from './notebook-member.js'

// This file is src/testing/compute-process.ts under vitest and dist/testing/compute-process.js at run time:
// both two levels below the package root.
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Path of the compiled `quire-compute` CLI. */
export function computeCliPath(): string {
  return join(packageRoot, 'dist', 'cli.js')
}

/** What a compute peer process reports when ready. */
export interface ComputeProcessInfo {
  readonly peerId: string
  readonly addresses: string[]
  readonly pid: number
  /** Kernelspec names found. */
  readonly kernels: string[]
}

/**
 * Starts `quire-compute` with `args` on loopback (adding `--allow-loopback` and a loopback TCP listener on a
 * free port unless `args` has `--listen`). Stop it with `proc.stop()` (SIGTERM).
 */
export async function startComputeProcess(args: string[], options: Omit<StartProcessOptions, 'args'> = {}): Promise<{ proc: PeerProcess; info: ComputeProcessInfo }> {
  const listen = args.includes('--listen') ? [] : ['--listen', '/ip4/127.0.0.1/tcp/0']
  const proc = await startProcess(computeCliPath(), { name: 'compute', readyTimeout: 60_000, ...options, args: [...listen, '--allow-loopback', ...args] })
  return { proc, info: proc.info as unknown as ComputeProcessInfo }
}

/** Path of the compiled notebook member (`notebook-member.ts`). */
export function notebookMemberPath(): string {
  return join(packageRoot, 'dist', 'testing', 'notebook-member.js')
}

/**
 * Starts a notebook member in a child process (see `notebook-member.ts`): owner of a fresh project with one
 * notebook. `info.projectId` is the project's id.
 */
export function startNotebookMember(options: Omit<StartProcessOptions, 'args'> = {}): Promise<PeerProcess<NotebookMemberCommands>> {
  return startProcess<NotebookMemberCommands>(notebookMemberPath(), { name: 'member', ...options })
}

/** A notebook member and a compute daemon serving its project, linked and granted. */
export interface MemberWithCompute {
  readonly member: PeerProcess<NotebookMemberCommands>
  readonly compute: { proc: PeerProcess; info: ComputeProcessInfo }
  /** The daemon's data directory (a fresh temporary one); the caller removes it. */
  readonly dataDir: string
  readonly projectId: string
  /** The arguments the daemon was started with, to start it again on the same data directory. */
  readonly computeArgs: string[]
}

/**
 * Starts a notebook member (child process) and a compute daemon on a fresh data directory serving the
 * member's project, grants the daemon the compute role and dials it: the setup of the daemon tests.
 */
export async function startMemberWithCompute(dataDirPrefix: string): Promise<MemberWithCompute> {
  const member = await startNotebookMember({ readyTimeout: 60_000 })
  const info = member.info as unknown as { peerId: string; projectId: string }
  const dataDir = await mkdtemp(join(tmpdir(), dataDirPrefix))
  const computeArgs = ['--data-dir', dataDir, '--project', `${info.projectId}@${info.peerId}`]
  const compute = await startComputeProcess(computeArgs)
  await member.request('grantCompute', { peerId: compute.info.peerId })
  await member.request('dial', { address: compute.info.addresses[0]! })
  return { member, compute, dataDir, projectId: info.projectId, computeArgs }
}
