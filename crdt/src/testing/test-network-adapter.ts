/**
 * The automerge-repo side of the in-memory test network: one adapter per Repo. It only forwards to the
 * network, which owns all links, queues and randomness, so a Repo cannot tell it apart from a real adapter.
 */
import { NetworkAdapter, type Message, type PeerId, type PeerMetadata } from '@automerge/automerge-repo'

/** What an adapter needs from its network (kept narrow so the network's own API stays small). */
export interface TestNetworkPort {
  attach(adapter: TestNetworkAdapter): void
  detach(adapter: TestNetworkAdapter): void
  enqueue(adapter: TestNetworkAdapter, message: Message): void
}

/** A `NetworkAdapter` on a {@link TestNetwork}. Create it with `network.createAdapter()`. */
export class TestNetworkAdapter extends NetworkAdapter {
  readonly #port: TestNetworkPort
  #connected = false

  constructor(port: TestNetworkPort) {
    super()
    this.#port = port
  }

  /** Whether the Repo has connected this adapter and not disconnected it since. */
  get connected(): boolean {
    return this.#connected
  }

  // In memory there is nothing to wait for; peers appear when their links come up.
  isReady(): boolean {
    return true
  }

  whenReady(): Promise<void> {
    return Promise.resolve()
  }

  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    if (this.#connected) return
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    this.#connected = true
    this.#port.attach(this)
  }

  send(message: Message): void {
    if (!this.#connected) return
    this.#port.enqueue(this, message)
  }

  disconnect(): void {
    if (!this.#connected) return
    this.#connected = false
    this.#port.detach(this)
  }

  /** Called by the network: a link to `peerId` came up. */
  linkUp(peerId: PeerId, peerMetadata: PeerMetadata): void {
    this.emit('peer-candidate', { peerId, peerMetadata })
  }

  /** Called by the network: the link to `peerId` went down. */
  linkDown(peerId: PeerId): void {
    this.emit('peer-disconnected', { peerId })
  }

  /** Called by the network: a message arrived. */
  deliver(message: Message): void {
    if (this.#connected) this.emit('message', message)
  }
}
