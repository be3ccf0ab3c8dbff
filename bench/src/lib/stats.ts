/** Summary statistics over latency samples in milliseconds. */
export interface Summary {
  readonly count: number
  readonly median: number
  readonly p99: number
  readonly mean: number
  readonly max: number
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { count: 0, median: NaN, p99: NaN, mean: NaN, max: NaN }
  const sorted = [...samples].sort((a, b) => a - b)
  // Nearest-rank percentiles: a reported p99 is a latency that really happened.
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!
  return {
    count: sorted.length,
    median: rank(0.5),
    p99: rank(0.99),
    mean: sorted.reduce((s, x) => s + x, 0) / sorted.length,
    max: sorted[sorted.length - 1]!,
  }
}

export const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)} ms` : 'n/a')
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
