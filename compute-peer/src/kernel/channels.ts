import { randomBytes, randomUUID } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Dealer, Subscriber } from 'zeromq'
import { type JupyterMessage, MessageCodec } from './wire.js'

export type ChannelName = 'shell' | 'control' | 'stdin' | 'iopub'

/** The connection file of one kernel launch, with the ipc transport: sockets are files in `ipcDir`. */
export interface ConnectionInfo {
  readonly file: string
  readonly key: string
  /** ZeroMQ address per channel (`ipc://<ipcDir>/k-<n>`). */
  readonly addresses: Readonly<Record<ChannelName | 'hb', string>>
}

const PORTS = { shell: 1, iopub: 2, stdin: 3, control: 4, hb: 5 } as const

/**
 * Writes a connection file into `ipcDir`. Why ipc rather than tcp: a kernel in its own network namespace
 * cannot reach the host's loopback, but a Unix socket in a bind-mounted directory works across namespaces.
 */
export async function writeConnectionFile(ipcDir: string, kernelName: string): Promise<ConnectionInfo> {
  const key = randomBytes(32).toString('hex')
  const ip = join(ipcDir, 'k')
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
  const address = (port: number) => `ipc://${ip}-${port}`
  return {
    file,
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
  readonly #iopub: Subscriber
  #closed = false

  constructor(connection: ConnectionInfo, onMessage: (channel: ChannelName, message: JupyterMessage) => void) {
    this.codec = new MessageCodec(connection.key)
    // shell and stdin share one identity: the kernel sends input_request to the stdin peer whose routing id
    // matches the shell request's sender.
    const identity = `quire-${randomUUID()}`
    this.#shell = new Dealer({ routingId: identity, linger: 0 })
    this.#stdin = new Dealer({ routingId: identity, linger: 0 })
    this.#control = new Dealer({ linger: 0 })
    this.#iopub = new Subscriber({ linger: 0 })
    this.#iopub.subscribe()
    const sockets: [ChannelName, Dealer | Subscriber][] = [
      ['shell', this.#shell],
      ['control', this.#control],
      ['stdin', this.#stdin],
      ['iopub', this.#iopub],
    ]
    for (const [channel, socket] of sockets) {
      socket.connect(connection.addresses[channel])
      void this.#receive(channel, socket, onMessage)
    }
  }

  async #receive(channel: ChannelName, socket: Dealer | Subscriber, onMessage: (channel: ChannelName, message: JupyterMessage) => void) {
    try {
      for await (const frames of socket) {
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
