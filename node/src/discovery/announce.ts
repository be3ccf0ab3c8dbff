import type { Libp2p } from '@libp2p/interface'
import { projectKey } from './project-key.js'

/** Options of {@link announceProject}. */
export interface AnnounceOptions {
  /** Re-announce every this many ms (default 1 hour; provider records live 48 hours on the DHT). */
  intervalMs?: number
  /** After a failed announce (no DHT peer yet, timeout), retry after this many ms (default 10 s). */
  retryMs?: number
  /** Give up one announce attempt after this many ms (default 30 s). */
  attemptTimeoutMs?: number
}

/** A running announcement of one project; see {@link announceProject}. */
export interface ProjectAnnouncement {
  readonly projectId: string
  /** Resolves after the first successful announce; never rejects (failures are retried). */
  readonly announced: Promise<void>
  /** The last announce error, if the last attempt failed. */
  readonly lastError: Error | undefined
  /** Stops re-announcing; the records already put expire on their own. */
  stop(): void
}

/**
 * Puts a DHT provider record saying this node holds `projectId`, then re-announces every `intervalMs`
 * so the record outlives relay restarts. A failed attempt is retried after `retryMs`.
 */
export function announceProject(node: Pick<Libp2p, 'contentRouting'>, projectId: string, options: AnnounceOptions = {}): ProjectAnnouncement {
  const intervalMs = options.intervalMs ?? 60 * 60 * 1000
  const retryMs = options.retryMs ?? 10_000
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 30_000
  const stopper = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  let markAnnounced!: () => void
  const announced = new Promise<void>((resolve) => { markAnnounced = resolve })
  const state: { lastError: Error | undefined } = { lastError: undefined }

  const attempt = async (): Promise<void> => {
    if (stopper.signal.aborted) return
    let next = intervalMs
    try {
      const key = await projectKey(projectId)
      await node.contentRouting.provide(key, { signal: AbortSignal.any([stopper.signal, AbortSignal.timeout(attemptTimeoutMs)]) })
      state.lastError = undefined
      markAnnounced()
    } catch (err) {
      state.lastError = err instanceof Error ? err : new Error(String(err))
      next = Math.min(retryMs, intervalMs)
    }
    if (!stopper.signal.aborted) timer = setTimeout(() => void attempt(), next)
  }
  void attempt()

  return {
    projectId,
    announced,
    get lastError() { return state.lastError },
    stop() {
      stopper.abort()
      if (timer) clearTimeout(timer)
    },
  }
}
