/**
 * An in-memory network of automerge-repo Repos for tests, deterministic from a seed (after y-protocols'
 * testHelper): every pair of connected peers has a link; a link keeps one FIFO queue per direction and
 * document, because the sync protocol needs its messages in order but different documents and directions
 * are independent. Nothing is delivered until the test calls `step()` or `runUntilQuiet()`, which pick the
 * next action (deliver the head of one queue, reconnect a link, let fake time tick) at random from the seed.
 *
 * Faults: a dropped or duplicated message breaks its link, like a connection that lost its stream: both
 * sides see `peer-disconnected` and later `peer-candidate`, and automerge-repo resets its sync state, which
 * is how its sync protocol recovers from loss. Links also fail at random and can be partitioned on purpose.
 */
import { Repo, type Message, type PeerId, type PeerMetadata, type RepoConfig } from '@automerge/automerge-repo'
import { createRandom, type Random } from './random.js'
import { TestNetworkAdapter, type TestNetworkPort } from './test-network-adapter.js'
import { realClock, realNow, type TestNetworkClock } from './test-network-clock.js'
import {
  TestNetworkError,
  type LinkDownReason,
  type TestNetworkEvent,
  type TestNetworkFaults,
  type TestNetworkInit,
  type TestNetworkStats,
} from './test-network-types.js'

export { createRandom, type Random } from './random.js'
export { TestNetworkAdapter } from './test-network-adapter.js'
export {
  fakeTimerClock,
  realClock,
  nextMacrotask,
  type FakeTimerClockOptions,
  type FakeTimerControls,
  type RealClockOptions,
  type TestNetworkClock,
} from './test-network-clock.js'
export * from './test-network-types.js'

interface Link {
  readonly a: PeerId
  readonly b: PeerId
  up: boolean
  /** Held down by `partition()` or `disconnect()` until `heal()` or `connect()`. */
  blocked: boolean
  /** Keyed by sender and document, so order holds per direction and document. */
  readonly queues: Map<string, Message[]>
}

type Action =
  | { readonly kind: 'deliver'; readonly link: Link; readonly queue: Message[] }
  | { readonly kind: 'reconnect'; readonly link: Link }
  | { readonly kind: 'tick' }

function linkKey(x: PeerId, y: PeerId): string {
  return x < y ? `${x}\u0000${y}` : `${y}\u0000${x}`
}

// A copy, as a real wire would make, so that a receiver cannot share or mutate the sender's bytes.
function copyMessage(message: Message): Message {
  const copy = { ...message }
  if (message.data instanceof Uint8Array) copy.data = new Uint8Array(message.data)
  return copy
}

/**
 * An in-memory, seeded, fault-injecting network for automerge-repo Repos.
 *
 * ```ts
 * vi.useFakeTimers()
 * const network = new TestNetwork({ seed, clock: fakeTimerClock(vi), faults: { drop: 0.05, disconnect: 0.02 } })
 * const alice = await network.addRepo('alice')
 * const bob = await network.addRepo('bob')
 * // ...edits, interleaved with `await network.step()`...
 * network.heal()
 * await network.runUntilQuiet()
 * // assert that alice and bob hold the same heads
 * await network.shutdown()
 * ```
 */
export class TestNetwork {
  readonly random: Random
  readonly stats: TestNetworkStats = { delivered: 0, dropped: 0, duplicated: 0, lost: 0, reconnects: 0, ticks: 0, tickedMs: 0 }
  readonly #clock: TestNetworkClock
  readonly #maxSteps: number
  readonly #quietMs: number
  readonly #onEvent: ((event: TestNetworkEvent) => void) | undefined
  readonly #adapters = new Map<PeerId, TestNetworkAdapter>()
  readonly #links = new Map<string, Link>()
  readonly #repos: Repo[] = []
  #faults: TestNetworkFaults
  #lastTickMs = 0

  constructor(init: TestNetworkInit = {}) {
    this.random = createRandom(init.seed ?? 1)
    this.#faults = { ...init.faults }
    this.#clock = init.clock ?? realClock()
    this.#maxSteps = init.maxSteps ?? 200_000
    this.#quietMs = init.quietMs ?? 1000
    this.#onEvent = init.onEvent
  }

  /** A new adapter on this network, to pass to `new Repo({ network: [adapter] })`. */
  createAdapter(): TestNetworkAdapter {
    const port: TestNetworkPort = {
      attach: (adapter) => this.#attach(adapter),
      detach: (adapter) => this.#detach(adapter),
      enqueue: (adapter, message) => this.#enqueue(adapter, message),
    }
    return new TestNetworkAdapter(port)
  }

  /**
   * A new Repo on this network with peer id `peerId`; resolves once its links to the peers already here
   * are up. `shutdown()` shuts down every Repo made this way. With a fake clock, give it storage whose
   * promises settle without timers or I/O (in memory), since a fake clock cannot see I/O in flight;
   * storage on disk wants {@link realClock}.
   */
  async addRepo(peerId: string, config: Omit<RepoConfig, 'network' | 'peerId'> = {}): Promise<Repo> {
    if (this.#adapters.has(peerId as PeerId)) {
      throw new TestNetworkError('DUPLICATE_PEER', `Peer ${peerId} is already on this network; give each Repo its own peer id.`)
    }
    const adapter = this.createAdapter()
    const repo = new Repo({ ...config, peerId: peerId as PeerId, network: [adapter] })
    this.#repos.push(repo)
    // The Repo connects its adapters once it knows its storage id, which with real storage takes real I/O:
    // opening LevelDB on a loaded machine took longer than 20,000 turns of the event loop (112 ms) in a CI
    // run, so the limit is real time as well as turns.
    const started = realNow()
    for (let waited = 0; !adapter.connected; waited++) {
      if (waited > 20_000 && realNow() - started > 30_000) {
        throw new TestNetworkError('NOT_QUIET', `Repo ${peerId} never connected to the network; is its storage adapter working?`)
      }
      await this.#clock.settle()
    }
    return repo
  }

  /** The peer ids of the connected adapters, in the order they connected. */
  get peers(): PeerId[] {
    return [...this.#adapters.keys()]
  }

  /** How many messages are queued on all links. */
  get inFlight(): number {
    let count = 0
    for (const link of this.#links.values()) for (const queue of link.queues.values()) count += queue.length
    return count
  }

  /** Whether a message is queued or a broken link waits to reconnect (pending timers do not count). */
  get busy(): boolean {
    return this.#actions().some((action) => action.kind !== 'tick')
  }

  /** Replaces the fault probabilities. */
  setFaults(faults: TestNetworkFaults): void {
    this.#faults = { ...faults }
  }

  /** Lets pending promise callbacks run, without delivering anything. */
  settle(): Promise<void> {
    return this.#clock.settle()
  }

  /**
   * Does one random action (deliver the oldest message of one queue, reconnect a broken link, or, with a
   * fake clock and timers pending, let time tick), then lets the receivers' promise callbacks run. Resolves
   * false when there was nothing to do.
   */
  async step(): Promise<boolean> {
    return (await this.#step()) !== undefined
  }

  /**
   * Steps until no message is in flight, no broken link waits to reconnect, and time has passed with
   * nothing sent (`quietMs` of fake time, or the real clock's idle period). Resolves the number of steps
   * taken; rejects with `NOT_QUIET` after `maxSteps`. Faults stay as they are: call `heal()` first to converge.
   */
  async runUntilQuiet(options: { maxSteps?: number; quietMs?: number } = {}): Promise<number> {
    const maxSteps = options.maxSteps ?? this.#maxSteps
    const quietMs = options.quietMs ?? this.#quietMs
    let steps = 0
    let idleMs = 0
    await this.#clock.settle()
    for (;;) {
      if (steps >= maxSteps) {
        throw new TestNetworkError(
          'NOT_QUIET',
          `The network was still busy after ${steps} steps (${this.inFlight} messages in flight); a peer may resend forever, or raise maxSteps.`,
        )
      }
      if (this.busy) {
        const done = await this.#step()
        idleMs = done === 'tick' ? idleMs + this.#lastTickMs : 0
        steps++
        continue
      }
      if (this.#clock.pendingTimers() > 0 && idleMs < quietMs) {
        await this.#run({ kind: 'tick' })
        await this.#clock.settle()
        idleMs += this.#lastTickMs
        steps++
        continue
      }
      await this.#clock.idle()
      await this.#clock.settle()
      if (!this.busy) return steps
    }
  }

  /**
   * Splits the network: links between different groups go down and stay down until `heal()`. Peers named
   * in no group form one more group together.
   */
  partition(...groups: readonly (readonly string[])[]): void {
    const groupOf = new Map<string, number>()
    groups.forEach((group, index) => group.forEach((peer) => groupOf.set(peer, index)))
    for (const peer of groupOf.keys()) this.#requirePeer(peer)
    for (const link of this.#links.values()) {
      if ((groupOf.get(link.a) ?? -1) === (groupOf.get(link.b) ?? -1)) continue
      link.blocked = true
      this.#linkDown(link, 'partition')
    }
  }

  /** Takes the link between two peers down until `connect()` or `heal()`. */
  disconnect(x: string, y: string): void {
    const link = this.#link(x, y)
    link.blocked = true
    this.#linkDown(link, 'manual')
  }

  /** Brings the link between two peers up again (at once) if both are connected. */
  connect(x: string, y: string): void {
    const link = this.#link(x, y)
    link.blocked = false
    this.#linkUp(link)
  }

  /** Ends every partition and fault: faults are set to zero and every link between connected peers is up. */
  heal(): void {
    this.#faults = {}
    for (const link of this.#links.values()) {
      link.blocked = false
      this.#linkUp(link)
    }
  }

  /** Shuts down the Repos made by `addRepo` (their adapters disconnect, so their links go down). */
  async shutdown(): Promise<void> {
    const repos = this.#repos.splice(0)
    await Promise.all(repos.map((repo) => repo.shutdown()))
  }

  async #step(): Promise<Action['kind'] | 'fault' | undefined> {
    const actions = this.#actions()
    if (actions.length === 0) return undefined
    let done: Action['kind'] | 'fault'
    if (this.inFlight > 0 && this.random.chance(this.#faults.disconnect ?? 0)) {
      const up = [...this.#links.values()].filter((link) => link.up)
      this.#linkDown(this.random.pick(up), 'fault')
      done = 'fault'
    } else {
      const action = this.random.pick(actions)
      await this.#run(action)
      done = action.kind
    }
    await this.#clock.settle()
    return done
  }

  #actions(): Action[] {
    const actions: Action[] = []
    for (const link of this.#links.values()) {
      if (link.up) {
        for (const queue of link.queues.values()) if (queue.length > 0) actions.push({ kind: 'deliver', link, queue })
      } else if (!link.blocked && this.#bothConnected(link)) {
        actions.push({ kind: 'reconnect', link })
      }
    }
    if (this.#clock.pendingTimers() > 0) actions.push({ kind: 'tick' })
    return actions
  }

  async #run(action: Action): Promise<void> {
    if (action.kind === 'tick') {
      this.#lastTickMs = await this.#clock.tick()
      this.stats.ticks++
      this.stats.tickedMs += this.#lastTickMs
      this.#emit({ type: 'tick', ms: this.#lastTickMs })
      return
    }
    if (action.kind === 'reconnect') {
      this.stats.reconnects++
      this.#linkUp(action.link)
      return
    }
    const message = action.queue.shift() as Message
    const from = message.senderId
    const to = message.targetId
    if (this.random.chance(this.#faults.drop ?? 0)) {
      this.stats.dropped++
      this.#emit({ type: 'drop', from, to, message })
      this.#linkDown(action.link, 'drop')
      return
    }
    this.#deliver(from, to, message)
    if (this.random.chance(this.#faults.duplicate ?? 0)) {
      this.stats.duplicated++
      this.#emit({ type: 'duplicate', from, to, message })
      this.#adapters.get(to)?.deliver(copyMessage(message))
      this.#linkDown(action.link, 'duplicate')
    }
  }

  #deliver(from: PeerId, to: PeerId, message: Message): void {
    this.stats.delivered++
    this.#emit({ type: 'deliver', from, to, message })
    this.#adapters.get(to)?.deliver(copyMessage(message))
  }

  #attach(adapter: TestNetworkAdapter): void {
    const peerId = adapter.peerId as PeerId
    if (this.#adapters.has(peerId)) {
      throw new TestNetworkError('DUPLICATE_PEER', `Peer ${peerId} is already on this network; give each Repo its own peer id.`)
    }
    const others = [...this.#adapters.keys()]
    this.#adapters.set(peerId, adapter)
    for (const other of others) {
      const key = linkKey(peerId, other)
      let link = this.#links.get(key)
      if (link === undefined) {
        const [a, b] = peerId < other ? [peerId, other] : [other, peerId]
        link = { a, b, up: false, blocked: false, queues: new Map() }
        this.#links.set(key, link)
      }
      if (!link.blocked) this.#linkUp(link)
    }
  }

  #detach(adapter: TestNetworkAdapter): void {
    const peerId = adapter.peerId as PeerId
    if (this.#adapters.get(peerId) !== adapter) return
    for (const link of this.#links.values()) {
      if (link.a === peerId || link.b === peerId) this.#linkDown(link, 'peer-left')
    }
    this.#adapters.delete(peerId)
  }

  #enqueue(adapter: TestNetworkAdapter, message: Message): void {
    const from = adapter.peerId as PeerId
    const link = this.#links.get(linkKey(from, message.targetId))
    if (link === undefined || !link.up) {
      this.stats.lost++
      return
    }
    const channel = `${from}\u0000${message.documentId ?? ''}`
    let queue = link.queues.get(channel)
    if (queue === undefined) {
      queue = []
      link.queues.set(channel, queue)
    }
    queue.push(copyMessage({ ...message, senderId: from }))
  }

  #linkUp(link: Link): void {
    if (link.up || !this.#bothConnected(link)) return
    link.up = true
    this.#emit({ type: 'link-up', a: link.a, b: link.b })
    const adapterA = this.#adapters.get(link.a) as TestNetworkAdapter
    const adapterB = this.#adapters.get(link.b) as TestNetworkAdapter
    adapterA.linkUp(link.b, adapterB.peerMetadata ?? ({} as PeerMetadata))
    adapterB.linkUp(link.a, adapterA.peerMetadata ?? ({} as PeerMetadata))
  }

  #linkDown(link: Link, reason: LinkDownReason): void {
    if (!link.up) return
    link.up = false
    for (const queue of link.queues.values()) this.stats.lost += queue.length
    link.queues.clear()
    this.#emit({ type: 'link-down', a: link.a, b: link.b, reason })
    this.#adapters.get(link.a)?.linkDown(link.b)
    this.#adapters.get(link.b)?.linkDown(link.a)
  }

  #bothConnected(link: Link): boolean {
    return this.#adapters.has(link.a) && this.#adapters.has(link.b)
  }

  #link(x: string, y: string): Link {
    this.#requirePeer(x)
    this.#requirePeer(y)
    const link = this.#links.get(linkKey(x as PeerId, y as PeerId))
    if (link === undefined) throw new TestNetworkError('UNKNOWN_PEER', `There is no link between ${x} and ${y}.`)
    return link
  }

  #requirePeer(peer: string): void {
    if (!this.#adapters.has(peer as PeerId)) {
      throw new TestNetworkError('UNKNOWN_PEER', `No connected peer is called ${peer}; add it with addRepo() first.`)
    }
  }

  #emit(event: TestNetworkEvent): void {
    this.#onEvent?.(event)
  }
}
