import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const QUIRE_CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
export const COMPUTE_CLI = fileURLToPath(new URL('../../compute-peer/dist/cli.js', import.meta.url))

/** Output of a finished `quire` run. */
export interface RunResult { code: number | null; stdout: string; stderr: string }

/** Runs `node bootstrap/dist/cli.js ...args` to completion. */
export function runQuire(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [QUIRE_CLI, ...args], { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 60_000 })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** A running `quire up` (or `npm start`) in its own process group, as a terminal would run it. */
export class Launcher {
  readonly proc: ChildProcess
  output = ''
  readonly exited: Promise<number | null>

  constructor(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
    this.proc = spawn(command, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    this.proc.stdout!.on('data', (d: Buffer) => { this.output += d.toString() })
    this.proc.stderr!.on('data', (d: Buffer) => { this.output += d.toString() })
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)))
  }

  /** Resolves once the output matches; fails with the output so far if the process exits or time runs out. */
  async waitFor(pattern: RegExp, timeoutMs = 90_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const m = pattern.exec(this.output)
      if (m) return m
      if (this.proc.exitCode !== null || Date.now() > deadline) {
        throw new Error(`no ${pattern} in the launcher's output (${this.proc.exitCode !== null ? `it exited with ${this.proc.exitCode}` : 'timed out'}):\n${this.output}`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  /** The pids the banner lists, e.g. `(pid 1234)`. */
  bannerPids(): number[] {
    return [...this.output.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]))
  }

  /** What a Ctrl-C in a terminal does: SIGINT to the whole foreground process group. */
  interrupt(): void {
    try { process.kill(-this.proc.pid!, 'SIGINT') } catch { /* gone */ }
  }

  /** Test cleanup: whatever is left of this group goes. */
  kill(): void {
    try { process.kill(-this.proc.pid!, 'SIGKILL') } catch { /* gone */ }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    // A zombie is dead for our purposes; it only waits for its parent to read its status.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  } catch {
    return false
  }
}

/** Pids of live processes whose command line mentions `needle` (e.g. a test's temporary directory). */
export function processesMentioning(needle: string): number[] {
  const found: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle) && isAlive(Number(name))) found.push(Number(name))
    } catch {
      // exited meanwhile
    }
  }
  return found
}

/** Kills every process that mentions `needle`, for test cleanup after a failure. */
export function killMentioning(needle: string): void {
  for (const pid of processesMentioning(needle)) {
    try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)))
  })
}

/**
 * A base port whose next three ports are free now, away from the defaults, and below the ephemeral range
 * (32768 and up), where every port-0 listener of the suite gets its port and could take ours first.
 */
export async function freeBasePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000)
    if (await portFree(base) && await portFree(base + 1) && await portFree(base + 2)) return base
  }
  throw new Error('no three consecutive free ports found')
}

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
