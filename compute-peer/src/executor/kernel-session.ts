/**
 * The one kernel of one notebook: started on demand (holding a slot of `KernelSlots`), its status mirrored
 * into the notebook's kernel area, shut down when idle too long or when the slot is needed elsewhere.
 */
import type { DocHandle } from '@automerge/automerge-repo'
import { setKernelState, type KernelState, type KernelStatusName, type NotebookDoc } from '@quire/crdt'
import type { Kernel, KernelStatus } from '../kernel/types.js'
import type { SlotHolder } from './kernel-slots.js'
import type { ExecutorEnvironment } from './types.js'

/** A kernel status held back while a cell ran (see `KernelSession.hold`). */
export interface HeldStatus {
  readonly status: KernelStatusName
  readonly message: string | undefined
  /** How many statuses had been written when it was released: a later one (a death) must not be overwritten. */
  readonly writes?: number
}

export class KernelSession implements SlotHolder {
  readonly #env: ExecutorEnvironment
  readonly #handle: DocHandle<NotebookDoc>
  readonly #workdir: string
  readonly #network: () => boolean
  #kernel: Kernel | undefined
  #starting: Promise<Kernel> | undefined
  #spec = 'python3'
  #written = ''
  #writes = 0
  #idleTimer: ReturnType<typeof setTimeout> | undefined
  #busy = false
  /** While a cell runs: busy/idle statuses wait here (see `hold`). */
  #held: { ms: number; pending?: HeldStatus; timer?: ReturnType<typeof setTimeout> } | undefined
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

  /**
   * While a cell runs, holds the kernel's busy/idle statuses back for up to `ms` instead of writing each as
   * a change of its own: a fast cell goes busy then idle within milliseconds, and each change costs a sync
   * round and a save, on the path of the cell's result. `release` hands the last held status over for the
   * cell's final change (`writeInto`); a cell still running after `ms` gets its status written then. Other
   * statuses (starting, restarting, dead) are written at once, replacing anything held.
   */
  hold(ms: number): void {
    const left = this.release()
    if (left !== undefined) this.#put(left.status, left.message)
    this.#held = { ms }
  }

  /** Stops holding; returns the held status if the kernel area does not say it yet. */
  release(): HeldStatus | undefined {
    const held = this.#held
    this.#held = undefined
    if (held === undefined) return undefined
    if (held.timer !== undefined) clearTimeout(held.timer)
    const pending = held.pending
    if (pending === undefined || this.#key(pending.status, pending.message) === this.#written) return undefined
    return { ...pending, writes: this.#writes }
  }

  /**
   * Writes a released status inside the caller's change. Not deduplicated: the caller may retry the change
   * after a rollback, and the status must then be written again.
   */
  writeInto(doc: NotebookDoc, held: HeldStatus): void {
    if (held.writes !== this.#writes) return
    setKernelState(doc, this.#state(held.status, held.message))
    this.#written = this.#key(held.status, held.message)
  }

  /** Writes the kernel area unless it already says exactly this. */
  write(status: KernelStatusName, message?: string, spec?: string): void {
    if (spec !== undefined) this.#spec = spec
    const held = this.#held
    if (held !== undefined && spec === undefined && (status === 'busy' || status === 'idle')) {
      held.pending = { status, message }
      held.timer ??= setTimeout(() => {
        held.timer = undefined
        const pending = held.pending
        held.pending = undefined
        if (pending !== undefined && this.#held === held) this.#put(pending.status, pending.message)
      }, held.ms)
      return
    }
    if (held !== undefined) held.pending = undefined
    this.#put(status, message)
  }

  #put(status: KernelStatusName, message: string | undefined): void {
    const key = this.#key(status, message)
    if (key === this.#written) return
    try {
      this.#handle.change((doc) => setKernelState(doc, this.#state(status, message)))
      this.#written = key
      this.#writes++
    } catch (err) {
      this.#env.log(`could not write the kernel state: ${(err as Error).message}`)
    }
  }

  #key(status: KernelStatusName, message: string | undefined): string {
    return `${status}\n${message ?? ''}\n${this.#spec}`
  }

  #state(status: KernelStatusName, message: string | undefined): KernelState {
    return {
      peer: this.#env.peerId, spec: this.#spec, status, updatedAt: this.#now(),
      ...(message !== undefined && { message: message.slice(0, 4000) }),
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
