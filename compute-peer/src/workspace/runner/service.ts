/**
 * The workspace as a project service: one sandboxed runner per served project (W31), its state directory
 * beside the other services' (outside the workspace), and the repo access its peer id gets.
 */
import type { DocumentId } from '@automerge/automerge-repo'
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
        init.runners.delete(peer)
      },
    }
  }
}
