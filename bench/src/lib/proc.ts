import { readFileSync } from 'node:fs'

/**
 * Resident memory of another process (VmRSS in /proc/<pid>/status), in bytes. The benchmarks measure the
 * relay's and the stock server's own processes this way, never the benchmark process.
 */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (m === null) throw new Error(`no VmRSS for process ${pid}`)
  return Number(m[1]) * 1024
}

/** CPU time (user + system) a process has used so far, in seconds (/proc/<pid>/stat, clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** The 1, 5 and 15 minute load averages of the machine. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
}

/**
 * Wall-clock milliseconds comparable across processes on one machine: `performance.timeOrigin +
 * performance.now()` (sub-millisecond, monotonic within a process). Each process's time origin comes from
 * the system clock at its start, so the parent also measures each worker's offset (see `clockOffset`).
 */
export const wallNow = (): number => performance.timeOrigin + performance.now()

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
