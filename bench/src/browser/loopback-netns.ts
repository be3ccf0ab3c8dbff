/**
 * Runs a benchmark script in a network namespace of its own that has only `lo` (127.0.0.1, ::1). Chromium
 * offers every interface address of the host as a WebRTC candidate (here 192.0.2.2 and fd00::2 on eth0),
 * and a peer-reflexive candidate can carry one of them into the selected pair even when both pages signal
 * 127.0.0.1 only; inside this namespace loopback is the only address there is. Needs root and `ip`.
 */
import { spawn } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const RESULT = 'QUIRE_BENCH_RESULT '

/** Whether this process may create network namespaces (root, with iproute2). */
export function canUseNamespace(): boolean {
  return process.getuid?.() === 0 && ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip'].some((p) => existsSync(p))
}

/**
 * Runs `node script ...args` inside a fresh loopback-only namespace and returns the JSON the script printed
 * with {@link printResult}. Its other output is passed through. The namespace is deleted afterwards.
 */
export async function runInLoopbackNamespace<T>(script: string, args: string[], timeoutMs: number): Promise<T> {
  const ns = `quire-bench-${process.pid}`
  execFileSync('ip', ['netns', 'add', ns])
  try {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    // A process group of its own, so a timeout stops the script and everything it started (relay, Chromium).
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, script, ...args], { stdio: ['ignore', 'pipe', 'inherit'], detached: true })
    let result: string | undefined
    let buffered = ''
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        if (line.startsWith(RESULT)) result = line.slice(RESULT.length)
        else process.stderr.write(`${line}\n`)
      }
    })
    const timer = setTimeout(() => { if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL') }, timeoutMs)
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
    clearTimeout(timer)
    if (result === undefined) throw new Error(`${script} in namespace ${ns} exited with ${code} and no result`)
    return JSON.parse(result) as T
  } finally {
    execFileSync('ip', ['netns', 'del', ns])
  }
}

/** For the script run by {@link runInLoopbackNamespace}: hands its result to the parent. */
export function printResult(value: unknown): void {
  process.stdout.write(`${RESULT}${JSON.stringify(value)}\n`)
}
