import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { baseSandboxEnv, SANDBOX_IPC_DIR } from '../sandbox/bwrap-args.js'
import type { SandboxHost } from '../sandbox/capabilities.js'
import { SandboxedProcess } from '../sandbox/sandboxed-process.js'
import { type ChannelName, KernelChannels, MAX_IOPUB_MESSAGE_BYTES, writeConnectionFile } from './channels.js'
import { KernelError } from './errors.js'
import { expandKernelArgv } from './kernelspec.js'
import { payloadOutputs, toKernelOutput } from './outputs.js'
import { PendingExecutes } from './pending-executes.js'
import type {
  ExecuteOptions,
  ExecuteReply,
  Kernel,
  KernelEvents,
  KernelInfo,
  KernelOutput,
  KernelSpecInfo,
  KernelStatus,
  StartKernelOptions,
} from './types.js'
import { abortPromise, delay, removeSockets, toKernelInfo } from './startup.js'
import type { JupyterMessage } from './wire.js'

export interface JupyterKernelInit {
  readonly id: string
  readonly spec: KernelSpecInfo
  /** kernel.json argv with the interpreter resolved, `{connection_file}` still in it. */
  readonly argv: readonly string[]
  /** Directory for the connection file and the ipc sockets; bind-mounted into the sandbox. */
  readonly ipcDir: string
  readonly host: SandboxHost
  readonly options: StartKernelOptions
  readonly unsafeNoSandbox?: boolean
  /** More host directories the kernel may read (kernels installed outside /usr). */
  readonly readOnlyDirs?: readonly string[]
  /** Called once the kernel is shut down for good (the launcher forgets it). */
  readonly onShutdown?: () => void
}

/** One launch of the kernel process; a restart makes a new one. */
interface Run {
  readonly generation: number
  readonly sandbox: SandboxedProcess
  readonly channels: KernelChannels
}

const SHUTDOWN_GRACE_MS = 3000
const INPUT_NOTE = 'Quire notebooks do not support input() yet: it returned an empty string.\n'

/** A Jupyter kernel in its own sandbox, spoken to over ZeroMQ (messaging protocol 5.3). */
export class JupyterKernel implements Kernel {
  readonly id: string
  readonly spec: KernelSpecInfo
  readonly #init: JupyterKernelInit
  readonly #listeners = new Map<keyof KernelEvents, Set<KernelEvents[keyof KernelEvents]>>()
  readonly #replyWaiters = new Map<string, (message: JupyterMessage) => void>()
  /** Requests whose status messages came back on iopub: proves the subscription is live. */
  readonly #iopubSeen = new Set<string>()
  readonly #pending = new PendingExecutes()
  #status: KernelStatus = 'starting'
  #run: Run | undefined
  #generation = 0
  /** Set while we stop the process on purpose, so its exit is not reported as a death. */
  #stopping = false
  #deadReason = 'not started'
  #lifecycle: Promise<unknown> = Promise.resolve()
  /** Settles when the latest start/restart/shutdown has; never rejects. */
  #ready: Promise<void> = Promise.resolve()
  #info: KernelInfo | undefined
  /** When the latest error execute_reply arrived (performance.now()). */
  #lastErrorReplyAt: number | undefined
  /** The latest kill of leftover processes (see `interrupt`). */
  #killing: Promise<number> = Promise.resolve(0)
  /** Aborts the launch in progress (shutdown during start). */
  #launchAbort: AbortController | undefined

  constructor(init: JupyterKernelInit) {
    this.#init = init
    this.id = init.id
    this.spec = init.spec
  }

  get status(): KernelStatus {
    return this.#status
  }

  get info(): KernelInfo | undefined {
    return this.#info
  }

  on<E extends keyof KernelEvents>(event: E, listener: KernelEvents[E]): void {
    let set = this.#listeners.get(event)
    if (!set) this.#listeners.set(event, (set = new Set()))
    set.add(listener)
  }

  off<E extends keyof KernelEvents>(event: E, listener: KernelEvents[E]): void {
    this.#listeners.get(event)?.delete(listener)
  }

  /** First launch; the launcher calls it once. */
  start(): Promise<void> {
    return this.#lifecycleStep(() => this.#launch(this.#init.options))
  }

  async execute(code: string, options: ExecuteOptions): Promise<ExecuteReply> {
    for (let attempt = 0; ; attempt++) {
      const sentAt = performance.now()
      const reply = await this.#executeOnce(code, options)
      // ipykernel aborts every request it receives shortly after an error reply (stop_on_error), even one
      // sent after that reply arrived, which no user meant to queue behind the error. Such a request never
      // ran, so sending it again is safe; one queued before the error stays aborted, as in Jupyter.
      const abortedByEarlierError =
        reply.status === 'aborted' && reply.reason === undefined && this.#lastErrorReplyAt !== undefined && this.#lastErrorReplyAt <= sentAt
      if (!abortedByEarlierError || attempt >= 2) return reply
      await delay(10)
    }
  }

  async #executeOnce(code: string, options: ExecuteOptions): Promise<ExecuteReply> {
    options.signal?.throwIfAborted()
    await this.#ready
    const run = this.#run
    if (this.#status === 'dead' || !run) {
      throw new KernelError('KERNEL_DEAD', `The ${this.spec.displayName} kernel is not running (${this.#deadReason}); restart it to run code.`)
    }
    const request = run.channels.codec.create('execute_request', {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: true,
      stop_on_error: true,
    })
    const reply = this.#pending.add(request.header.msg_id, options.onOutput, options.signal, () => void this.interrupt(), options.maxStreamChars)
    await run.channels.send('shell', request)
    return reply
  }

  async interrupt(): Promise<void> {
    const run = this.#run
    // A kernel still starting may not handle SIGINT yet and would die of it; there is nothing to interrupt.
    if (!run || (this.#status !== 'busy' && this.#status !== 'idle')) return
    if (this.spec.interruptMode === 'signal') run.sandbox.signalGroup('SIGINT')
    else await this.#request(run, 'control', 'interrupt_request', {}, 5000).catch(() => undefined)
    // What the cell started in the background (its own session, a daemon, a fork bomb) would outlive the
    // interrupt, and the cell, until the kernel restarts: stopping a cell stops those too (S3).
    await this.killLeftovers()
  }

  async leftoverProcesses(): Promise<number> {
    // The cell an interrupt stopped ends while its leftovers are being killed: count after that.
    await this.#killing
    return (await this.#run?.sandbox.leftovers())?.length ?? 0
  }

  killLeftovers(): Promise<number> {
    const killing = this.#run?.sandbox.killLeftovers() ?? Promise.resolve(0)
    this.#killing = killing.catch(() => 0)
    return killing
  }

  restart(): Promise<void> {
    return this.#lifecycleStep(async () => {
      this.#setStatus('restarting')
      this.#pending.abortAll('the kernel was restarted')
      await this.#stop(false)
      await this.#launch({ ...this.#init.options, signal: undefined })
    })
  }

  shutdown(): Promise<void> {
    // A start still waiting for the kernel gives up now instead of holding the shutdown for its timeout.
    this.#launchAbort?.abort(new KernelError('KERNEL_DEAD', 'The kernel was shut down while it was starting.'))
    return this.#lifecycleStep(async () => {
      this.#pending.abortAll('the kernel was shut down')
      await this.#stop(true)
      await rm(this.#init.ipcDir, { recursive: true, force: true })
      this.#deadReason = 'shut down'
      this.#setStatus('dead', 'shut down')
      this.#init.onShutdown?.()
    })
  }

  /**
   * Runs start/restart/shutdown one at a time, and makes `execute` wait for it: a cell sent right after
   * restart() runs on the new kernel instead of failing against the one being replaced.
   */
  #lifecycleStep(step: () => Promise<void>): Promise<void> {
    const done = this.#serialize(step)
    this.#ready = done.catch(() => undefined)
    return done
  }

  #serialize<T>(step: () => Promise<T>): Promise<T> {
    const next = this.#lifecycle.then(step, step)
    this.#lifecycle = next.catch(() => undefined)
    return next
  }

  #setStatus(status: KernelStatus, reason?: string): void {
    if (status === this.#status) return
    this.#status = status
    for (const listener of this.#listeners.get('status') ?? []) {
      try {
        ;(listener as KernelEvents['status'])(status, reason)
      } catch {
        // A listener's bug must not break the kernel.
      }
    }
  }

  async #launch(startOptions: StartKernelOptions): Promise<void> {
    const generation = ++this.#generation
    const launchAbort = new AbortController()
    this.#launchAbort = launchAbort
    const signal = startOptions.signal ? AbortSignal.any([startOptions.signal, launchAbort.signal]) : launchAbort.signal
    const options = { ...startOptions, signal }
    const progress = (message: string) => {
      try {
        options.onProgress?.(message)
      } catch {
        // progress is informational
      }
    }
    this.#setStatus(this.#status === 'restarting' ? 'restarting' : 'starting')
    try {
      progress('starting sandbox')
      await this.#spawn(generation, options)
      progress('waiting for kernel')
      this.#info = await this.#waitForKernelInfo(this.#run!, options)
      this.#deadReason = ''
      this.#setStatus('idle')
      progress('kernel ready')
    } catch (error) {
      await this.#stop(false)
      this.#deadReason = error instanceof Error ? error.message : String(error)
      this.#setStatus('dead', this.#deadReason)
      throw error
    } finally {
      if (this.#launchAbort === launchAbort) this.#launchAbort = undefined
    }
  }

  /** Starts the kernel process in its sandbox and connects the channels: a new Run. */
  async #spawn(generation: number, options: StartKernelOptions): Promise<void> {
    await removeSockets(this.#init.ipcDir)
    const sandboxed = this.#init.host.bwrap !== undefined && !this.#init.unsafeNoSandbox
    const connection = await writeConnectionFile(this.#init.ipcDir, this.spec.name, sandboxed ? SANDBOX_IPC_DIR : this.#init.ipcDir)
    const env = { ...baseSandboxEnv(), ...this.spec.env, ...options.env }
    if (!this.#init.host.bwrap) {
      // Unsandboxed (unsafeNoSandbox): the sandbox's private home does not exist; use one beside the sockets.
      env.HOME = join(this.#init.ipcDir, 'home')
      await mkdir(env.HOME, { recursive: true })
    }
    const sandbox = await SandboxedProcess.spawn({
      id: `${this.id}-${generation}`,
      argv: expandKernelArgv(this.#init.argv, connection.insideFile, this.spec.resourceDir),
      workdir: options.workdir,
      ...(sandboxed ? { ipcDir: this.#init.ipcDir } : { writable: [this.#init.ipcDir] }),
      readOnly: [this.spec.resourceDir, ...(this.#init.readOnlyDirs ?? [])],
      network: options.network ?? false,
      env,
      host: this.#init.host,
      ...(options.limits ? { limits: options.limits } : {}),
      ...(this.#init.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}),
    })
    const channels = new KernelChannels(
      connection,
      (channel, message) => this.#onMessage(generation, channel, message),
      (peek) => {
        if (peek.msgType !== 'stream' || !this.#pending.dropsStream(peek.parentId)) return false
        this.#pending.dropped(peek.parentId, peek.bytes)
        return true
      },
      () => this.#pending.lost(MAX_IOPUB_MESSAGE_BYTES),
    )
    const run: Run = { generation, sandbox, channels }
    this.#run = run
    void sandbox.exited.then((exit) => this.#onExit(run, exit.reason))
    options.signal?.throwIfAborted()
  }

  /**
   * Asks kernel_info until both the reply (shell) and its status messages (iopub) arrive: a SUB socket
   * drops what is published before its subscription reaches the kernel, so the first outputs of a cell
   * could be lost if we only waited for the reply.
   */
  async #waitForKernelInfo(run: Run, options: StartKernelOptions): Promise<KernelInfo> {
    const timeoutMs = options.startTimeoutMs ?? 60_000
    const deadline = Date.now() + timeoutMs
    const exited = run.sandbox.exited.then((exit) => {
      const output = run.sandbox.output.trim()
      throw new KernelError(
        'KERNEL_START_FAILED',
        `The ${this.spec.displayName} kernel stopped while starting (${exit.reason}).${output ? ` Its last output:\n${output}` : ''}`,
      )
    })
    exited.catch(() => undefined)
    const aborted = abortPromise(options.signal)
    aborted.catch(() => undefined)
    let reply: JupyterMessage | undefined
    while (!reply || !this.#iopubSeen.has(reply.parentHeader.msg_id ?? '')) {
      options.signal?.throwIfAborted()
      if (Date.now() > deadline) {
        throw new KernelError(
          'KERNEL_START_FAILED',
          `The ${this.spec.displayName} kernel did not answer within ${Math.round(timeoutMs / 1000)} s; check that it is installed (jupyter kernelspec list) or allow more time.`,
        )
      }
      const attempt = this.#request(run, 'shell', 'kernel_info_request', {}, reply ? 300 : 1000)
      const answer = await Promise.race([attempt.catch(() => undefined), exited, aborted])
      if (answer) {
        reply = answer
        // The reply came; give its iopub status a moment before asking again.
        if (!this.#iopubSeen.has(answer.parentHeader.msg_id ?? '')) await delay(100)
      }
    }
    return toKernelInfo(reply.content)
  }

  /** Sends a request and resolves with its reply, or rejects after `timeoutMs`. */
  #request(run: Run, channel: 'shell' | 'control', msgType: string, content: Record<string, unknown>, timeoutMs: number) {
    const message = run.channels.codec.create(msgType, content)
    const id = message.header.msg_id
    return new Promise<JupyterMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#replyWaiters.delete(id)
        reject(new Error(`no ${msgType} reply within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#replyWaiters.set(id, (reply) => {
        clearTimeout(timer)
        this.#replyWaiters.delete(id)
        resolve(reply)
      })
      run.channels.send(channel, message).catch(reject)
    })
  }

  #onMessage(generation: number, channel: ChannelName, message: JupyterMessage): void {
    const run = this.#run
    if (!run || generation !== run.generation) return
    const parentId = message.parentHeader.msg_id ?? ''
    const type = message.header.msg_type
    if (channel === 'iopub') {
      if (type === 'status') {
        const state = message.content.execution_state
        this.#iopubSeen.add(parentId)
        if (this.#iopubSeen.size > 64) this.#iopubSeen.delete(this.#iopubSeen.values().next().value!)
        if (state === 'busy') this.#pending.started(parentId)
        if (state === 'idle') this.#pending.idle(parentId)
        if ((state === 'busy' || state === 'idle') && (this.#status === 'busy' || this.#status === 'idle')) this.#setStatus(state)
        return
      }
      const output = toKernelOutput(message)
      if (output) this.#pending.output(parentId, output)
      return
    }
    if (channel === 'stdin' && type === 'input_request') {
      this.#pending.output(parentId, { type: 'stream', name: 'stderr', text: INPUT_NOTE })
      void run.channels.send('stdin', run.channels.codec.create('input_reply', { value: '' }, message.header))
      return
    }
    if (type === 'execute_reply') {
      for (const output of payloadOutputs(message.content)) this.#pending.output(parentId, output)
      const status = message.content.status
      if (status === 'error') this.#lastErrorReplyAt = performance.now()
      this.#pending.replied(parentId, {
        status: status === 'ok' || status === 'error' ? status : 'aborted',
        executionCount: typeof message.content.execution_count === 'number' ? message.content.execution_count : null,
      })
      return
    }
    this.#replyWaiters.get(parentId)?.(message)
  }

  #onExit(run: Run, reason: string): void {
    if (this.#stopping || this.#run !== run) return
    this.#run = undefined
    run.channels.close()
    void run.sandbox.dispose()
    this.#deadReason = reason
    this.#pending.abortAll(`the kernel died (${reason})`)
    this.#setStatus('dead', reason)
  }

  /** Ends the current run: politely (shutdown_request, then a grace period) or at once. Idempotent. */
  async #stop(graceful: boolean): Promise<void> {
    const run = this.#run
    if (!run) return
    this.#stopping = true
    try {
      if (graceful && run.sandbox.running && this.#status !== 'dead') {
        await run.channels.send('control', run.channels.codec.create('shutdown_request', { restart: false })).catch(() => undefined)
        await Promise.race([run.sandbox.exited, delay(SHUTDOWN_GRACE_MS)])
      }
      await run.sandbox.kill()
      run.channels.close()
      await run.sandbox.dispose()
    } finally {
      if (this.#run === run) this.#run = undefined
      this.#stopping = false
    }
  }
}
