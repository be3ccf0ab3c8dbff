/**
 * The compute peer's side of one terminal's pty host: starts it in the project's sandbox (T2) with the
 * workspace as its working directory, the kernels' limits and the project's network rule, and relays frames.
 * The whole sandbox (process group and cgroup) is killed on close (T12).
 */
import { baseSandboxEnv } from '../sandbox/bwrap-args.js'
import type { SandboxHost } from '../sandbox/capabilities.js'
import { programDirs } from '../sandbox/program-dirs.js'
import { SandboxedProcess } from '../sandbox/sandboxed-process.js'
import type { KernelLimits } from '../kernel/types.js'
import { FrameChannel } from '../pipe/frame-channel.js'
import { PTY_PIPE_MAX_FRAME_BYTES, checkFromPtyHost, type PtyHostConfig, type ToPtyHost } from './pty-pipe.js'

export interface PtyProcessInit {
  readonly id: string
  readonly shell: readonly string[]
  readonly workdir: string
  readonly cols: number
  readonly rows: number
  readonly network: boolean
  readonly limits: KernelLimits
  readonly host: SandboxHost
  readonly unsafeNoSandbox?: boolean
  readonly onData: (data: Uint8Array) => void
  /** Called once when the terminal is gone, with how it ended. */
  readonly onExit: (reason: string) => void
  readonly log: (line: string) => void
}

/**
 * Node's own threads count in the pids cgroup (about 11), and node-pty's native side needs some memory:
 * the pty host gets this much on top of the project's limits for code.
 */
const HOST_PROCESSES = 16

export class PtyProcess {
  readonly #init: PtyProcessInit
  readonly #process: SandboxedProcess
  readonly #channel: FrameChannel
  #exitReason: string | undefined
  #ended = false

  private constructor(init: PtyProcessInit, process: SandboxedProcess) {
    this.#init = init
    this.#process = process
    this.#channel = new FrameChannel({
      input: process.stdout!, output: process.stdin!, maxFrameBytes: PTY_PIPE_MAX_FRAME_BYTES,
      onFrame: (value) => {
        const frame = checkFromPtyHost(value)
        if (frame === undefined) {
          init.log(`terminal ${init.id}: its pty host sent a frame that is not part of the pipe protocol; closing it (PTY_HOST_PROTOCOL)`)
          void this.kill()
        } else if (frame.t === 'data') init.onData(frame.d)
        else this.#exitReason = frame.signal !== 0 ? `killed by signal ${frame.signal}` : `exited with code ${frame.code}`
      },
      onClose: (error) => {
        if (error !== undefined) init.log(`terminal ${init.id}: ${error.code}: ${error.message}; closing it`)
        void this.kill()
      },
    })
    void process.exited.then((exit) => {
      this.#channel.close()
      void process.dispose()
      this.#end(this.#exitReason ?? exit.reason)
    })
  }

  static async start(init: PtyProcessInit): Promise<PtyProcess> {
    const { main, dirs } = programDirs('terminal/pty-host-main.js')
    const env = { ...baseSandboxEnv(), SHELL: init.shell[0] ?? '/bin/bash' }
    const config: PtyHostConfig = { argv: init.shell, cols: init.cols, rows: init.rows, cwd: init.workdir, env }
    const limits: KernelLimits = {
      ...(init.limits.memoryBytes !== undefined && { memoryBytes: init.limits.memoryBytes }),
      ...(init.limits.processes !== undefined && { processes: init.limits.processes + HOST_PROCESSES }),
      ...(init.limits.fileSizeBytes !== undefined && { fileSizeBytes: init.limits.fileSizeBytes }),
      ...(init.limits.cpuCores !== undefined && { cpuCores: init.limits.cpuCores }),
    }
    const process = await SandboxedProcess.spawn({
      id: `t${init.id}`,
      argv: [globalThis.process.execPath, main, JSON.stringify(config)],
      workdir: init.workdir,
      readOnly: dirs,
      network: init.network,
      env: { ...baseSandboxEnv(), NODE_ENV: 'production' },
      host: init.host,
      limits,
      pipes: true,
      ...(init.unsafeNoSandbox === true && { unsafeNoSandbox: true }),
    })
    return new PtyProcess(init, process)
  }

  get running(): boolean {
    return !this.#ended
  }

  send(frame: ToPtyHost): void {
    this.#channel.send(frame)
  }

  /** Kills everything in the terminal's sandbox; resolves when it is gone. */
  async kill(): Promise<void> {
    if (this.#process.running) await this.#process.kill()
    await this.#process.exited
  }

  #end(reason: string): void {
    if (this.#ended) return
    this.#ended = true
    this.#init.onExit(reason)
  }
}
