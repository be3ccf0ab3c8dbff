import type { Repo } from '@automerge/automerge-repo'

/**
 * One sync stack under test: two connected repos on loopback. Every benchmark runs the same code against
 * each stack, so the figures differ only by what carries the messages.
 */
export interface Stack {
  readonly name: string
  /**
   * Starts peer A, lets `prepare` fill it with documents, then starts peer B and connects it to A, through a
   * byte-counting proxy when `countBytes` is set (otherwise directly, so latency figures have no extra
   * hop). Resolves once B is connected.
   */
  pair(options?: { prepare?: (a: Repo) => Promise<void>; countBytes?: boolean }): Promise<Pair>
}

export interface Pair {
  readonly a: Repo
  readonly b: Repo
  /** Bytes carried between A and B so far, both directions, as counted on the TCP connection (0 unless counted). */
  wireBytes(): number
  close(): Promise<void>
}
