/**
 * The workspace runner: the workspace's disk side as its own process, started by the compute peer inside
 * the project's sandbox as the sandbox user (W31). It sees the workspace directory, its records and the
 * program, nothing of the host; so a symbolic link that the project's code puts in the workspace leads
 * nowhere that code could not reach itself. Its repo holds the project's documents in memory and syncs
 * them with the compute peer's repo over stdin and stdout; blobs are asked of the compute peer.
 *
 * Usage (by the compute peer only): node main.js '<RunnerConfig as JSON>'
 */
import { Repo, type AutomergeUrl, type PeerId } from '@automerge/automerge-repo'
import { FrameChannel } from '../../pipe/frame-channel.js'
import { PipeRepoAdapter } from '../../pipe/pipe-repo-adapter.js'
import { startWorkspace } from '../workspace.js'
import type { Workspace, WorkspaceBlobs } from '../types.js'
import type { HostFrame, RunnerConfig, RunnerFrame } from './protocol.js'

// stdout carries frames only: anything a library prints goes to stderr.
console.log = console.error
console.info = console.error
console.warn = console.error

const config = JSON.parse(process.argv[2] ?? '{}') as RunnerConfig
let workspace: Workspace | undefined
let nextId = 1
const waiting = new Map<number, (frame: HostFrame) => void>()

const send = (frame: RunnerFrame | { t: 'hello' } | { t: 'repo'; m: unknown }): boolean => channel.send(frame)
const log = (line: string): void => void send({ t: 'log', line })

async function exit(code: number): Promise<never> {
  await workspace?.stop().catch(() => undefined)
  process.exit(code)
}

const channel = new FrameChannel({
  input: process.stdin,
  output: process.stdout,
  maxFrameBytes: config.maxFrameBytes,
  onFrame: (value) => {
    const frame = value as { t?: unknown; id?: unknown }
    if (frame.t === 'hello' || frame.t === 'repo') return adapter.receive(frame as { t: unknown })
    if (frame.t === 'stop') return void exit(0)
    if (frame.t === 'flush') {
      const id = frame.id as number
      void (workspace?.flush() ?? Promise.resolve()).catch(() => undefined).then(() => send({ t: 'flushed', id }))
      return
    }
    const id = typeof frame.id === 'number' ? frame.id : -1
    waiting.get(id)?.(value as HostFrame)
    waiting.delete(id)
  },
  // The compute peer went away (or stopped us): nothing is left to sync with.
  onClose: () => void exit(0),
})

const adapter = new PipeRepoAdapter({
  remote: config.remote,
  send: (frame) => channel.send(frame),
  onInvalid: (why) => {
    process.stderr.write(`workspace runner: invalid repo frame from the compute peer: ${why}\n`)
    void exit(2)
  },
})

function ask(frame: RunnerFrame & { id: number }): Promise<HostFrame> {
  return new Promise((resolve) => {
    waiting.set(frame.id, resolve)
    if (!send(frame)) {
      waiting.delete(frame.id)
      resolve({ t: 'blob', id: frame.id, bytes: null })
    }
  })
}

const blobs: WorkspaceBlobs = {
  async get(hash) {
    const reply = await ask({ t: 'blob-get', id: nextId++, hash, fetch: false })
    return reply.t === 'blob' && reply.bytes !== null ? reply.bytes : undefined
  },
  async put(bytes) {
    const reply = await ask({ t: 'blob-put', id: nextId++, bytes })
    if (reply.t !== 'blob-stored' || reply.hash === null) throw new Error('the compute peer did not store the blob')
    return reply.hash
  },
  async fetch(hash) {
    const reply = await ask({ t: 'blob-get', id: nextId++, hash, fetch: true })
    return reply.t === 'blob' && reply.bytes !== null ? reply.bytes : undefined
  },
}

// One peer, the compute peer, which decides what this repo may see.
const repo = new Repo({ peerId: config.self as PeerId, network: [adapter], sharePolicy: async () => true })
process.on('SIGTERM', () => void exit(0))

try {
  workspace = await startWorkspace({
    repo, project: config.project as AutomergeUrl, dir: config.dir, stateFile: config.stateFile, blobs,
    peerId: config.createdBy, log,
    ...(config.limits !== undefined && { limits: config.limits }),
    ...(config.timing !== undefined && { timing: config.timing }),
  })
  const report = (): void => void send({ t: 'status', status: workspace!.status })
  workspace.onStatus(report)
  report()
} catch (err) {
  process.stderr.write(`workspace runner: could not start: ${(err as Error).message}\n`)
  await exit(1)
}
