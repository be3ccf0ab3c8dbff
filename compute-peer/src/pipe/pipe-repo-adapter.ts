/**
 * An automerge-repo network adapter with exactly one peer at the other end of a {@link FrameChannel}: the
 * compute peer's repo on one side, a sandboxed helper's repo on the other. Each side knows the other's peer
 * id beforehand (the compute peer assigns the helper's), so nothing a frame says about who sent it is
 * believed: messages are checked like those of a sync stream and addressed by the pipe itself.
 */
import { NetworkAdapter, type Message, type PeerId, type PeerMetadata } from '@automerge/automerge-repo'
import { checkMessage } from '@quire/node'

/** The frames this adapter sends and takes; other frame kinds on the same channel are not its business. */
export type RepoFrame =
  | { readonly t: 'hello' }
  | { readonly t: 'repo'; readonly m: Record<string, unknown> }

export interface PipeRepoAdapterInit {
  /** The other end's repo peer id. */
  readonly remote: string
  /** Puts a frame on the channel; false when it could not (closed, too large). */
  readonly send: (frame: RepoFrame) => boolean
  /** A frame that is not a valid repo message arrived: the owner closes the channel. */
  readonly onInvalid: (why: string) => void
}

export class PipeRepoAdapter extends NetworkAdapter {
  readonly #init: PipeRepoAdapterInit
  #connected = false
  #remoteHello = false
  #announced = false
  #closed = false
  #readyResolve!: () => void
  readonly #ready = new Promise<void>((resolve) => {
    this.#readyResolve = resolve
  })

  constructor(init: PipeRepoAdapterInit) {
    super()
    this.#init = init
  }

  override isReady(): boolean {
    return this.#connected
  }

  override whenReady(): Promise<void> {
    return this.#ready
  }

  override connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    this.peerId = peerId
    this.peerMetadata = peerMetadata ?? {}
    this.#connected = true
    this.#readyResolve()
    this.#init.send({ t: 'hello' })
    this.#announce()
  }

  override send(message: Message): void {
    if (!this.#announced || this.#closed) return
    const { senderId: _s, targetId: _t, ...rest } = message
    this.#init.send({ t: 'repo', m: rest })
  }

  override disconnect(): void {
    this.close()
  }

  /** Takes a frame of kind `hello` or `repo` from the channel. */
  receive(frame: { t: unknown; m?: unknown }): void {
    if (this.#closed) return
    if (frame.t === 'hello') {
      this.#remoteHello = true
      this.#announce()
      return
    }
    if (!this.#announced) return this.#init.onInvalid('a repo message before the hello')
    let message: Message
    try {
      message = checkMessage(frame.m, this.#init.remote, this.peerId!)
    } catch (err) {
      return this.#init.onInvalid((err as Error).message)
    }
    this.emit('message', message)
  }

  /** The channel is gone: the repo forgets the peer. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#announced) this.emit('peer-disconnected', { peerId: this.#init.remote as PeerId })
    this.emit('close')
  }

  #announce(): void {
    if (this.#announced || !this.#connected || !this.#remoteHello || this.#closed) return
    this.#announced = true
    this.emit('peer-candidate', { peerId: this.#init.remote as PeerId, peerMetadata: {} })
  }
}
