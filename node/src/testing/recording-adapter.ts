import { NetworkAdapter, type Message, type PeerId } from '@automerge/automerge-repo'

/**
 * The network side of a wrapping adapter under test: records what the wrapper sends, and lets the test play
 * the peers with `emit('message' | 'peer-disconnected', ...)`.
 */
export class RecordingAdapter extends NetworkAdapter {
  readonly sent: Message[] = []
  override isReady(): boolean { return true }
  override whenReady(): Promise<void> { return Promise.resolve() }
  override connect(peerId: PeerId): void { this.peerId = peerId }
  override send(message: Message): void { this.sent.push(message) }
  override disconnect(): void {}
}
