/**
 * The one kernel of one notebook: started on demand (holding a slot of `KernelSlots`), its status mirrored
 * into the notebook's kernel area, shut down when idle too long or when the slot is needed elsewhere.
 */
import type { DocHandle } from '@automerge/automerge-repo'
import { setKernelState, type KernelStatusName, type NotebookDoc } from '@quire/crdt'
import type { Kernel, KernelStatus } from '../kernel/types.js'
import type { SlotHolder } from './kernel-slots.js'
import type { ExecutorEnvironment } from './types.js'

export class KernelSession implements SlotHolder {
  readonly #env: ExecutorEnvironment
  readonly #handle: DocHandle<NotebookDoc>
  readonly #workdir: string
  readonly #network: () => boolean
  #kernel: Kernel | undefined
  #starting: Promise<Kernel> | undefined
  #spec = 'python3'
  #written = ''
  #idleTimer: ReturnType<typeof setTimeout> | undefined
  #busy = false
  /** Why the current kernel died, for the cell it was running. */
  #deathReason: string | undefined
  lastUsed = 0

  constructor(env: ExecutorEnvironment, handle: DocHandle<NotebookDoc>, workdir: string, network: () => boolean) {
    this.#env = env
    this.#handle = handle
    this.#workdir = workdir
    this.#network = network
  }

  get idle(): boolean {
    return !this.#busy && this.#starting === undefined
  }

  get kernel(): Kernel | undefined {
    return this.#kernel
  }

  /** The reason the last kernel died, once (the run that saw it die reports it). */
  takeDeathReason(): string | undefined {
    const reason = this.#deathReason
    this.#deathReason = undefined
    return reason
  }

  /** Marks the kernel as in use (no idle shutdown, no eviction) until `done`. */
  use(): { done: () => void } {
    this.#busy = true
    this.lastUsed = this.#now()
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer)
    this.#idleTimer = undefined
    return {
      done: () => {
        this.#busy = false
        this.lastUsed = this.#now()
        this.#armIdle()
      },
    }
  }

  /** The running kernel for `spec`, starting it (or replacing a kernel of another spec) if needed. */
  async ensure(spec: string, options: { signal?: AbortSignal } = {}): Promise<Kernel> {
    if (this.#kernel !== undefined && this.#kernel.status !== 'dead' && this.#kernel.spec.name === spec) return this.#kernel
    if (this.#starting !== undefined) {
      const k = await this.#starting
      if (k.spec.name === spec) return k
    }
    if (this.#kernel !== undefined) await this.stop(`switched to kernel ${spec}`)
    this.#spec = spec
    const starting = this.#start(spec, options)
    this.#starting = starting
    try {
      return await starting
    } finally {
      if (this.#starting === starting) this.#starting = undefined
    }
  }

  async #start(spec: string, options: { signal?: AbortSignal }): Promise<Kernel> {
    const slots = this.#env.slots
    if (slots.used >= slots.max) this.write('starting', `waiting for a free kernel (at most ${slots.max} run at once on this compute peer)`)
    await slots.acquire(this, options)
    this.write('starting', `starting ${spec}`)
    let kernel: Kernel
    try {
      kernel = await this.#env.launcher.start(spec, {
        workdir: this.#workdir,
        ...(this.#env.limits !== undefined && { limits: this.#env.limits }),
        network: this.#network(),
        onProgress: (message) => this.write('starting', message),
        ...(options.signal !== undefined && { signal: options.signal }),
      })
    } catch (err) {
      slots.release(this)
      this.write('dead', `could not start ${spec}: ${(err as Error).message}`)
      throw err
    }
    const onStatus = (status: KernelStatus, reason?: string): void => {
      if (this.#kernel !== kernel) return
      if (status === 'dead') {
        this.#deathReason = reason ?? 'the kernel died'
        this.#kernel = undefined
        kernel.off('status', onStatus)
        slots.release(this)
        this.write('dead', this.#deathReason)
        return
      }
      this.write(status)
    }
    kernel.on('status', onStatus)
    this.#kernel = kernel
    this.write(kernel.status === 'busy' ? 'busy' : 'idle')
    this.lastUsed = this.#now()
    return kernel
  }

  /** Shuts the kernel down (if any) and says why in the kernel area. */
  async stop(reason: string): Promise<void> {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer)
    this.#idleTimer = undefined
    const kernel = this.#kernel
    if (kernel === undefined) return
    // Forgotten first: the 'dead' status it reports while shutting down is not a death to report.
    this.#kernel = undefined
    try {
      await kernel.shutdown()
    } catch (err) {
      this.#env.log(`shutting down kernel ${kernel.id}: ${(err as Error).message}`)
    }
    this.#env.slots.release(this)
    this.write('dead', reason)
  }

  evict(reason: string): Promise<void> {
    return this.stop(reason)
  }

  /** Writes the kernel area unless it already says exactly this. */
  write(status: KernelStatusName, message?: string, spec?: string): void {
    if (spec !== undefined) this.#spec = spec
    const key = `${status}\n${message ?? ''}\n${this.#spec}`
    if (key === this.#written) return
    this.#written = key
    try {
      this.#handle.change((doc) => setKernelState(doc, {
        peer: this.#env.peerId, spec: this.#spec, status, updatedAt: this.#now(),
        ...(message !== undefined && { message: message.slice(0, 4000) }),
      }))
    } catch (err) {
      this.#env.log(`could not write the kernel state: ${(err as Error).message}`)
    }
  }

  #armIdle(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer)
    if (this.#kernel === undefined) return
    const ms = this.#env.idleTimeoutMs
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined
      if (!this.#busy) void this.stop(`shut down after ${Math.round(ms / 1000)} s without work; running a cell starts it again`)
    }, ms)
    this.#idleTimer.unref?.()
  }

  #now(): number {
    return (this.#env.now ?? Date.now)()
  }
}
