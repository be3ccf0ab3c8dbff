import { NetworkAdapter, type Message, type NetworkAdapterInterface, type PeerId, type PeerMetadata } from '@automerge/automerge-repo'

/**
 * A network adapter that sits between the repo and another adapter (`createQuireRepo`'s `wrapNetwork`):
 * readiness, connect and disconnect go straight through; a subclass decides what happens to the messages
 * and peer events in between (`wire` is called once, from the constructor, to subscribe to `inner`).
 * Passing everything on unchanged is `wire(inner, { onMessage: (m) => this.emit('message', m) })`.
 */
export abstract class WrappingAdapter extends NetworkAdapter {
  protected readonly inner: NetworkAdapterInterface

  constructor(inner: NetworkAdapterInterface) {
    super()
    this.inner = inner
    this.inner.on('close', () => this.emit('close'))
  }

  override isReady(): boolean {
    return this.inner.isReady()
  }

  override whenReady(): Promise<void> {
    return this.inner.whenReady()
  }

  override connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    this.inner.connect(peerId, peerMetadata)
  }

  override disconnect(): void {
    this.inner.disconnect()
  }

  override send(message: Message): void {
    this.inner.send(message)
  }
}
