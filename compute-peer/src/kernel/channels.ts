import { randomBytes, randomUUID } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Dealer, Subscriber } from 'zeromq'
import { type JupyterMessage, type MessagePeek, MessageCodec } from './wire.js'

export type ChannelName = 'shell' | 'control' | 'stdin' | 'iopub'

/** The connection file of one kernel launch, with the ipc transport: sockets are files in `ipcDir`. */
export interface ConnectionInfo {
  readonly file: string
  /** The connection file's path as the kernel sees it. */
  readonly insideFile: string
  readonly key: string
  /** ZeroMQ address per channel (`ipc://<ipcDir>/k-<n>`). */
  readonly addresses: Readonly<Record<ChannelName | 'hb', string>>
}

/** Largest iopub message received (X1): what one message may cost the compute peer's memory. */
export const MAX_IOPUB_MESSAGE_BYTES = 16 * 1024 * 1024

/** Iopub messages ZeroMQ may hold for us before the kernel's side has to wait (or drop). */
const IOPUB_QUEUE_MESSAGES = 4

const PORTS = { shell: 1, iopub: 2, stdin: 3, control: 4, hb: 5 } as const

/**
 * Writes a connection file into `ipcDir`. Why ipc rather than tcp: a kernel in its own network namespace
 * cannot reach the host's loopback, but a Unix socket in a bind-mounted directory works across namespaces.
 */
export async function writeConnectionFile(ipcDir: string, kernelName: string, insideDir = ipcDir): Promise<ConnectionInfo> {
  const key = randomBytes(32).toString('hex')
  // The kernel binds where it sees the directory (`insideDir` in its sandbox); we connect to the same
  // socket files through the host path.
  const ip = join(insideDir, 'k')
  const hostIp = join(ipcDir, 'k')
  const file = join(ipcDir, 'connection.json')
  const content = {
    transport: 'ipc',
    ip,
    key,
    signature_scheme: 'hmac-sha256',
    kernel_name: kernelName,
    shell_port: PORTS.shell,
    iopub_port: PORTS.iopub,
    stdin_port: PORTS.stdin,
    control_port: PORTS.control,
    hb_port: PORTS.hb,
  }
  await writeFile(file, JSON.stringify(content, null, 1), { mode: 0o600 })
  const address = (port: number) => `ipc://${hostIp}-${port}`
  return {
    file,
    insideFile: join(insideDir, 'connection.json'),
    key,
    addresses: {
      shell: address(PORTS.shell),
      iopub: address(PORTS.iopub),
      stdin: address(PORTS.stdin),
      control: address(PORTS.control),
      hb: address(PORTS.hb),
    },
  }
}

/** Unix socket paths are limited to 107 bytes; the longest of ours is `<ipcDir>/k-5`. */
export function ipcDirFits(ipcDir: string): boolean {
  return Buffer.byteLength(join(ipcDir, 'k-5')) < 100
}

/** The client side of a kernel's ZeroMQ channels; one instance per kernel launch. */
export class KernelChannels {
  readonly codec: MessageCodec
  readonly #shell: Dealer
  readonly #control: Dealer
  readonly #stdin: Dealer
  #iopub: Subscriber
  readonly #iopubAddress: string
  readonly #onMessage: (channel: ChannelName, message: JupyterMessage) => void
  readonly #drop: ((peek: MessagePeek) => boolean) | undefined
  readonly #onOversize: (() => void) | undefined
  #closed = false

  /**
   * `drop` sees each iopub message before it is verified or parsed and may discard it unread: a cell
   * printing hundreds of megabytes past its output limit then costs a glance at two small frames per
   * message, not a parse of each (the receive loop keeps up, so ZeroMQ's queue does not fill either).
   */
  constructor(
    connection: ConnectionInfo,
    onMessage: (channel: ChannelName, message: JupyterMessage) => void,
    drop?: (peek: MessagePeek) => boolean,
    onOversize?: () => void,
  ) {
    this.codec = new MessageCodec(connection.key)
    this.#onMessage = onMessage
    this.#drop = drop
    this.#onOversize = onOversize
    // shell and stdin share one identity: the kernel sends input_request to the stdin peer whose routing id
    // matches the shell request's sender.
    const identity = `quire-${randomUUID()}`
    this.#shell = new Dealer({ routingId: identity, linger: 0 })
    this.#stdin = new Dealer({ routingId: identity, linger: 0 })
    this.#control = new Dealer({ linger: 0 })
    this.#iopubAddress = connection.addresses.iopub
    this.#iopub = this.#openIopub()
    const sockets: [ChannelName, Dealer | Subscriber][] = [
      ['shell', this.#shell],
      ['control', this.#control],
      ['stdin', this.#stdin],
    ]
    for (const [channel, socket] of sockets) {
      socket.connect(connection.addresses[channel])
      void this.#receive(channel, socket)
    }
  }

  /**
   * A kernel may send one message of hundreds of megabytes (ipykernel sends everything a cell printed
   * within 200 ms as one). ZeroMQ refuses a message over `maxMessageSize` before reading it, by dropping
   * the connection, which it then does not restore: the channel is opened anew, and `onOversize` hears of
   * it, since what the kernel sent meanwhile is lost.
   */
  #openIopub(): Subscriber {
    // ZeroMQ's I/O thread reads ahead of us into a queue of up to receiveHighWaterMark messages; when this
    // process is slow (a busy machine) a flood of large messages would wait there, in memory no limit
    // covers. A short queue pushes back on the kernel instead, whose own queue is in its sandbox (X1).
    const socket = new Subscriber({ linger: 0, maxMessageSize: MAX_IOPUB_MESSAGE_BYTES, receiveHighWaterMark: IOPUB_QUEUE_MESSAGES })
    socket.subscribe()
    socket.events.on('disconnect', () => {
      if (this.#closed || socket !== this.#iopub) return
      socket.close()
      this.#iopub = this.#openIopub()
      this.#onOversize?.()
    })
    socket.connect(this.#iopubAddress)
    void this.#receive('iopub', socket)
    return socket
  }

  async #receive(channel: ChannelName, socket: Dealer | Subscriber) {
    const drop = channel === 'iopub' ? this.#drop : undefined
    const onMessage = this.#onMessage
    try {
      for await (const frames of socket) {
        if (drop) {
          const peek = this.codec.peek(frames)
          if (peek && drop(peek)) continue
        }
        const message = this.codec.decode(frames)
        if (message) onMessage(channel, message)
      }
    } catch {
      // The socket was closed while a receive was pending: the launch is over.
    }
  }

  /** Sends a message made with `codec.create` (made first, so replies can be matched before they arrive). */
  async send(channel: 'shell' | 'control' | 'stdin', message: JupyterMessage): Promise<void> {
    if (this.#closed) return
    const socket = channel === 'shell' ? this.#shell : channel === 'control' ? this.#control : this.#stdin
    await socket.send(this.codec.encode(message))
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const socket of [this.#shell, this.#control, this.#stdin, this.#iopub]) socket.close()
  }
}
