/** Two automerge-repo Repos connected in this process; messages are delivered on a microtask, never a timer. */
import { NetworkAdapter, type Message, type PeerId, type PeerMetadata } from '@automerge/automerge-repo'

class PairAdapter extends NetworkAdapter {
  other: PairAdapter | undefined
  #ready = false
  #connected = false

  isReady(): boolean {
    return this.#ready
  }

  whenReady(): Promise<void> {
    return Promise.resolve()
  }

  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    this.#ready = true
    this.#connected = true
    const other = this.other!
    if (other.#connected) {
      this.emit('peer-candidate', { peerId: other.peerId!, peerMetadata: other.peerMetadata ?? {} })
      other.emit('peer-candidate', { peerId: this.peerId, peerMetadata: this.peerMetadata })
    }
  }

  send(message: Message): void {
    const other = this.other!
    const copy = { ...message, ...(message.data instanceof Uint8Array ? { data: new Uint8Array(message.data) } : {}) }
    queueMicrotask(() => {
      if (other.#connected) other.emit('message', copy)
    })
  }

  disconnect(): void {
    this.#connected = false
  }
}

/** A connected pair of adapters: give one to each Repo. */
export function adapterPair(): [NetworkAdapter, NetworkAdapter] {
  const a = new PairAdapter()
  const b = new PairAdapter()
  a.other = b
  b.other = a
  return [a, b]
}
