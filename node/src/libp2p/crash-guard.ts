/**
 * A guard against a known class of js-libp2p bugs: a stream muxer writes from a detached microtask after
 * its connection closed (yamux 8's `newStream` queues a window update with `queueMicrotask`;
 * `AbstractMessageStream` does the same on drain, js-libp2p issue 3512), and the resulting
 * `StreamStateError` escapes as an uncaught exception that no caller can catch. Any peer can trigger it by
 * closing a connection at the wrong moment, so a daemon that let it through could be crashed remotely.
 *
 * The error means only "that stream is already gone", so the guard counts and logs it and keeps the peer
 * up; every other uncaught exception still ends the process, as Node would. Network errors from sockets
 * get their error paths where they arise instead (L22, ws-errors.ts), so this guard need not widen.
 */

/**
 * True for the uncaught libp2p stream race described above, and nothing else. Accepts error-shaped plain
 * objects too: a test runner hands over errors serialized from its workers, no longer `instanceof Error`.
 */
export function isLibp2pStreamRace(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { name, stack } = error as { name?: unknown; stack?: unknown }
  if (name !== 'StreamStateError' || typeof stack !== 'string') return false
  return /[\\/]@libp2p[\\/](yamux|utils)[\\/]/.test(stack)
}

export interface CrashGuard {
  /** How many stream races were absorbed. */
  readonly absorbed: number
  uninstall(): void
}

/**
 * Installs the guard on this process (daemons and peer processes call it first thing). Returns a handle
 * with the count of absorbed races; `log` receives one line per absorbed race.
 */
export function installCrashGuard(log: (line: string) => void = (line) => console.warn(line)): CrashGuard {
  let absorbed = 0
  const onUncaught = (error: Error): void => {
    if (isLibp2pStreamRace(error)) {
      absorbed++
      log(`[quire] absorbed a libp2p stream race (a write to a stream whose connection had closed): ${error.message}`)
      return
    }
    // Not ours to absorb: behave as Node does without a handler.
    console.error(error)
    process.exit(1)
  }
  process.on('uncaughtException', onUncaught)
  return {
    get absorbed() { return absorbed },
    uninstall: () => { process.off('uncaughtException', onUncaught) },
  }
}
