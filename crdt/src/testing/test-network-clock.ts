/**
 * How the test network lets time pass. automerge-repo batches outgoing sync behind a 100 ms timer
 * (`asyncThrottle` in DocSynchronizer, created in its constructor, so no option changes it), and a handle
 * that requests a document gives up after 60 s. A network that only delivered messages would stall until
 * real time passed. Two clocks:
 *
 * - {@link fakeTimerClock}: with vitest fake timers (`vi.useFakeTimers()`), time moves only in small ticks
 *   that the network takes as one more randomly chosen action, so a throttled send can fire while other
 *   messages are in flight, but a 60 s timeout fires only if the test keeps the network busy that long.
 *   Deterministic and fast: no test waits on real time.
 * - {@link realClock}: real timers; "quiet" then means nothing was sent during an idle period longer than
 *   the throttle. Slower, for tests that cannot fake timers (real sockets, storage on disk).
 */

/** The clock a {@link TestNetwork} uses to let promise callbacks and timers run. */
export interface TestNetworkClock {
  /** Resolves once every pending promise callback (microtask) has run. */
  settle(): Promise<void>
  /** How many timers are pending, or 0 when the clock cannot know (real timers). */
  pendingTimers(): number
  /** Moves fake time forward by one tick, running the timers that fall due; resolves the milliseconds moved. */
  tick(): Promise<number>
  /**
   * Called when no message is in flight and no tick is wanted: real clocks wait here long enough for
   * throttled sends to happen; fake clocks return at once.
   */
  idle(): Promise<void>
}

/** The part of vitest's `vi` (or any fake-timer library) that {@link fakeTimerClock} needs. */
export interface FakeTimerControls {
  getTimerCount(): number
  advanceTimersByTimeAsync(ms: number): Promise<unknown>
}

interface PortLike {
  onmessage: ((event: unknown) => void) | null
  postMessage(value: unknown): void
  close(): void
}

interface TimerHost {
  setTimeout(callback: () => void, ms: number): unknown
  setImmediate?: (callback: () => void) => unknown
  MessageChannel?: new () => { port1: PortLike; port2: PortLike }
}

const host = globalThis as unknown as TimerHost
// Captured when this module loads, before a test fakes the globals, so a real macrotask stays available.
const realSetTimeout = host.setTimeout.bind(globalThis)
const realSetImmediate = host.setImmediate?.bind(globalThis)
const RealMessageChannel = host.MessageChannel
const realPerformance = (globalThis as unknown as { performance: { now(): number } }).performance

/** Milliseconds on the real clock, whatever a test fakes later (bound when this module loads). */
export const realNow: () => number = realPerformance.now.bind(realPerformance)

/**
 * Waits for one real macrotask (setImmediate in Node, a MessageChannel message in browsers). Every microtask
 * queued before it runs first, including the promise chains automerge-repo starts when a message arrives.
 */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => {
    if (realSetImmediate !== undefined) {
      realSetImmediate(resolve)
    } else if (RealMessageChannel !== undefined) {
      const channel = new RealMessageChannel()
      channel.port1.onmessage = () => {
        channel.port1.close()
        resolve()
      }
      channel.port2.postMessage(null)
    } else {
      realSetTimeout(resolve, 0)
    }
  })
}

/** Options of {@link fakeTimerClock}. */
export interface FakeTimerClockOptions {
  /** Fake milliseconds per tick. Default 20 (automerge-repo's sync throttle is 100 ms). */
  tickMs?: number
}

/** A clock for vitest fake timers: pass `vi` after calling `vi.useFakeTimers()`. */
export function fakeTimerClock(timers: FakeTimerControls, options: FakeTimerClockOptions = {}): TestNetworkClock {
  const tickMs = options.tickMs ?? 20
  return {
    settle: nextMacrotask,
    pendingTimers: () => timers.getTimerCount(),
    tick: async () => {
      await timers.advanceTimersByTimeAsync(tickMs)
      return tickMs
    },
    idle: async () => {},
  }
}

/** Options of {@link realClock}. */
export interface RealClockOptions {
  /** How long nothing may happen before the network counts as quiet. Default 250 ms (automerge-repo throttles by 100 ms). */
  idleMs?: number
}

/** A clock on real timers. */
export function realClock(options: RealClockOptions = {}): TestNetworkClock {
  const idleMs = options.idleMs ?? 250
  return {
    settle: nextMacrotask,
    pendingTimers: () => 0,
    tick: async () => 0,
    idle: () => new Promise((resolve) => realSetTimeout(resolve, idleMs)),
  }
}
