/**
 * The workspace as a project service: one sandboxed runner per served project (W31), its state directory
 * beside the other services' (outside the workspace), and the repo access its peer id gets.
 */
import type { DocHandle, DocumentId } from '@automerge/automerge-repo'
import { workspaceStatusMessage } from '@quire/node'
import type { ProjectServiceFactory } from '../../runtime/service.js'
import type { SandboxHost } from '../../sandbox/capabilities.js'
import type { WorkspaceBlobs, WorkspaceLimits, WorkspaceTiming } from '../types.js'
import { runnerPeerId, WorkspaceRunner } from './host.js'

export interface WorkspaceServiceInit {
  readonly host: SandboxHost
  readonly unsafeNoSandbox?: boolean
  readonly blobs: WorkspaceBlobs
  readonly limits?: Partial<WorkspaceLimits>
  readonly timing?: Partial<WorkspaceTiming>
  /** Told when a project's runner peer id starts or stops standing for this compute peer in the repo. */
  readonly runners: Map<string, DocumentId>
}

export function workspaceService(init: WorkspaceServiceInit): ProjectServiceFactory {
  return async (ctx) => {
    const peer = runnerPeerId(ctx.project)
    init.runners.set(peer, ctx.project)
    const runner = new WorkspaceRunner({
      repo: ctx.repo, project: ctx.project, dir: ctx.workdir, stateDir: ctx.stateDir('workspace'),
      blobs: init.blobs, peerId: ctx.peerId, host: init.host, log: ctx.log,
      ...(init.unsafeNoSandbox === true && { unsafeNoSandbox: true }),
      ...(init.limits !== undefined && { limits: init.limits }),
      ...(init.timing !== undefined && { timing: init.timing }),
    })
    try {
      await runner.start()
    } catch (err) {
      init.runners.delete(peer)
      throw err
    }
    const stopBroadcast = await broadcastStatus(ctx.repo.find<unknown>(ctx.project), runner)
    return {
      name: 'workspace',
      runner,
      health: () => {
        const { state, problems } = runner.status
        return state === 'idle' || state === 'syncing' ? { state: 'ok' }
          : state === 'full' ? { state: 'degraded', detail: problems[0]?.message ?? 'the workspace is full' }
          : { state: state === 'stopped' ? 'stopped' : 'starting' }
      },
      async stop() {
        await runner.stop()
        stopBroadcast()
        init.runners.delete(peer)
      },
    }
  }
}

/** Members are told the workspace's status (W40) on every change (at most every 300 ms) and every 5 s. */
const STATUS_THROTTLE_MS = 300
const STATUS_HEARTBEAT_MS = 5000

async function broadcastStatus(found: Promise<DocHandle<unknown>>, runner: WorkspaceRunner): Promise<() => void> {
  const handle = await found
  let last = 0
  let timer: NodeJS.Timeout | undefined
  const send = (): void => {
    clearTimeout(timer)
    timer = undefined
    last = Date.now()
    handle.broadcast(workspaceStatusMessage(runner.status, last))
  }
  const soon = (): void => {
    if (timer !== undefined) return
    timer = setTimeout(send, Math.max(0, last + STATUS_THROTTLE_MS - Date.now()))
  }
  const unsubscribe = runner.onStatus(soon)
  const heartbeat = setInterval(send, STATUS_HEARTBEAT_MS)
  heartbeat.unref()
  return () => {
    unsubscribe()
    clearInterval(heartbeat)
    send()
  }
}
