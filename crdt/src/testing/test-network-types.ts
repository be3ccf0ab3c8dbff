/**
 * The public types of the test network: its options, the events it reports, its counters and its errors.
 */
import type { Message, PeerId } from '@automerge/automerge-repo'
import type { TestNetworkClock } from './test-network-clock.js'
import { CodedError } from '../errors.js'

/** Probabilities of faults; each 0 when absent. */
export interface TestNetworkFaults {
  /** That a message chosen for delivery is lost instead; its link then resets. */
  readonly drop?: number
  /** That a delivered message is delivered a second time; its link then resets. */
  readonly duplicate?: number
  /** Per step while messages are in flight: that one random link breaks (it reconnects in a later step). */
  readonly disconnect?: number
}

/** Options of a {@link TestNetwork}. */
export interface TestNetworkInit {
  /** Seed of every random choice the network makes. Default 1. */
  readonly seed?: number
  readonly faults?: TestNetworkFaults
  /** Default: real timers ({@link realClock}). Use `fakeTimerClock(vi)` for fast, deterministic tests. */
  readonly clock?: TestNetworkClock
  /** How many steps `runUntilQuiet` may take before it gives up. Default 200,000. */
  readonly maxSteps?: number
  /**
   * Fake clock only: how much fake time must pass with nothing to deliver before `runUntilQuiet` counts the
   * network as quiet. Default 1,000 ms, ten times automerge-repo's sync throttle; longer timers (such as a
   * 60 s request timeout) stay pending.
   */
  readonly quietMs?: number
  /** Called for everything that happens on the network, in order: for traces and assertions. */
  readonly onEvent?: (event: TestNetworkEvent) => void
}

/** Why a link went down. */
export type LinkDownReason = 'drop' | 'duplicate' | 'fault' | 'partition' | 'manual' | 'peer-left'

/** Something that happened on a {@link TestNetwork}. */
export type TestNetworkEvent =
  | { readonly type: 'deliver' | 'drop' | 'duplicate'; readonly from: PeerId; readonly to: PeerId; readonly message: Message }
  | { readonly type: 'link-up'; readonly a: PeerId; readonly b: PeerId }
  | { readonly type: 'link-down'; readonly a: PeerId; readonly b: PeerId; readonly reason: LinkDownReason }
  | { readonly type: 'tick'; readonly ms: number }

/** Counters of what the network did. */
export interface TestNetworkStats {
  delivered: number
  dropped: number
  duplicated: number
  /** Messages sent to a peer without a working link, or still queued when their link went down. */
  lost: number
  /** Broken links that a step brought back up (`heal()` and `connect()` are not counted). */
  reconnects: number
  /** Fake clock ticks taken, and the fake milliseconds they added up to. */
  ticks: number
  tickedMs: number
}

/** Stable codes of {@link TestNetworkError}. */
export type TestNetworkErrorCode = 'NOT_QUIET' | 'DUPLICATE_PEER' | 'UNKNOWN_PEER'

/** A misuse of the test network, or a network that never went quiet. */
export class TestNetworkError extends CodedError<TestNetworkErrorCode> {}
