/**
 * An in-memory kernel for executor tests. Code is a tiny script, one command per line:
 * `print <text>`, `stderr <text>`, `sleep <ms>`, `result <text>`, `error <name> <value>`, `die <reason>`,
 * `png`, `display <id> <text>`, `update <id> <text>`, `clear`, `clearwait`, `spam <n>` (n one-character
 * prints). Interrupt ends a sleep with KeyboardInterrupt; restart and shutdown abort the running cell.
 */
import type { ExecuteReply, Kernel, KernelEvents, KernelLauncher, KernelOutput, KernelSpecInfo, KernelStatus, SandboxCapabilities, StartKernelOptions } from '../../src/kernel/types.js'

/** A 1x1 PNG. */
export const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='

const spec = (name: string): KernelSpecInfo => ({ name, displayName: name, language: 'python', argv: [], resourceDir: '/', env: {}, interruptMode: 'signal' })

export class FakeKernel implements Kernel {
  readonly id: string
  readonly spec: KernelSpecInfo
  status: KernelStatus = 'idle'
  count = 0
  readonly executed: string[] = []
  readonly options: StartKernelOptions
  #listeners = new Set<KernelEvents['status']>()
  #abort: ((reason: 'interrupt' | 'abort') => void) | undefined

  constructor(id: string, specName: string, options: StartKernelOptions) {
    this.id = id
    this.spec = spec(specName)
    this.options = options
  }

  async execute(code: string, options: { onOutput: (output: KernelOutput) => void }): Promise<ExecuteReply> {
    if (this.status === 'dead') throw Object.assign(new Error('the kernel is dead'), { code: 'KERNEL_DEAD' })
    this.executed.push(code)
    this.#set('busy')
    const n = ++this.count
    const out = options.onOutput
    try {
      for (const line of code.split('\n')) {
        const [cmd, ...rest] = line.split(' ')
        const arg = rest.join(' ')
        switch (cmd) {
          case 'print': out({ type: 'stream', name: 'stdout', text: arg + '\n' }); break
          case 'stderr': out({ type: 'stream', name: 'stderr', text: arg + '\n' }); break
          case 'spam': for (let i = 0; i < Number(arg); i++) out({ type: 'stream', name: 'stdout', text: 'x' }); break
          case 'result': out({ type: 'execute_result', executionCount: n, data: { 'text/plain': arg }, metadata: {} }); break
          case 'png': out({ type: 'display_data', data: { 'image/png': PNG_BASE64, 'text/plain': '<Figure>' }, metadata: {} }); break
          case 'display': out({ type: 'display_data', data: { 'text/plain': rest.slice(1).join(' ') }, metadata: {}, displayId: rest[0]! }); break
          case 'update': out({ type: 'update_display_data', data: { 'text/plain': rest.slice(1).join(' ') }, metadata: {}, displayId: rest[0]! }); break
          case 'clear': out({ type: 'clear_output', wait: false }); break
          case 'clearwait': out({ type: 'clear_output', wait: true }); break
          case 'error':
            out({ type: 'error', ename: rest[0]!, evalue: rest.slice(1).join(' '), traceback: [`${rest[0]}: ${rest.slice(1).join(' ')}`] })
            this.#set('idle')
            return { status: 'error', executionCount: n }
          case 'die':
            this.#set('dead', arg)
            return { status: 'aborted', executionCount: null }
          case 'sleep': {
            const how = await new Promise<'done' | 'interrupt' | 'abort'>((resolve) => {
              const timer = setTimeout(() => resolve('done'), Number(arg))
              this.#abort = (reason) => { clearTimeout(timer); resolve(reason) }
            })
            this.#abort = undefined
            if (how === 'interrupt') {
              out({ type: 'error', ename: 'KeyboardInterrupt', evalue: '', traceback: ['KeyboardInterrupt'] })
              this.#set('idle')
              return { status: 'error', executionCount: n }
            }
            if (how === 'abort') return { status: 'aborted', executionCount: null }
            break
          }
        }
      }
      this.#set('idle')
      return { status: 'ok', executionCount: n }
    } finally {
      this.#abort = undefined
    }
  }

  async interrupt(): Promise<void> { this.#abort?.('interrupt') }

  async restart(): Promise<void> {
    this.#set('restarting')
    this.#abort?.('abort')
    this.count = 0
    this.#set('idle')
  }

  async shutdown(): Promise<void> {
    this.#abort?.('abort')
    if (this.status !== 'dead') this.#set('dead', 'shut down')
  }

  on<E extends keyof KernelEvents>(_event: E, listener: KernelEvents[E]): void { this.#listeners.add(listener) }
  off<E extends keyof KernelEvents>(_event: E, listener: KernelEvents[E]): void { this.#listeners.delete(listener) }

  #set(status: KernelStatus, reason?: string): void {
    this.status = status
    for (const l of [...this.#listeners]) l(status, reason)
  }
}

export class FakeLauncher implements KernelLauncher {
  readonly capabilities: SandboxCapabilities = { bubblewrap: false, memory: 'none', cpu: 'none', processes: 'none', fileSize: 'none', notes: ['fake'] }
  readonly started: FakeKernel[] = []
  failNext: string | undefined
  #next = 1

  async specs(): Promise<readonly KernelSpecInfo[]> { return [spec('python3'), spec('other')] }

  async start(specName: string, options: StartKernelOptions): Promise<FakeKernel> {
    options.onProgress?.('starting fake kernel')
    if (this.failNext !== undefined) {
      const message = this.failNext
      this.failNext = undefined
      throw new Error(message)
    }
    const kernel = new FakeKernel(`k${this.#next++}`, specName, options)
    this.started.push(kernel)
    return kernel
  }

  get alive(): FakeKernel[] { return this.started.filter((k) => k.status !== 'dead') }

  async stopAll(): Promise<void> { await Promise.all(this.started.map((k) => k.shutdown())) }
}
