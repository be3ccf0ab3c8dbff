/**
 * The retention ladder (N11): automatic snapshots are kept as the newest one in each of the latest `keep`
 * periods of each rung (by default the last 4 quarter hours, 24 hours, 7 days and 4 weeks that have one);
 * the newest automatic snapshot and every one younger than the first rung's period are always kept (a
 * snapshot taken before a restore must outlive the snapshot the restore is followed by); named snapshots are
 * never pruned by it.
 */
import type { SnapshotInfo } from './types.js'

/** One rung: keep the newest snapshot of each of the latest `keep` periods of `everyMs`. */
export interface RetentionRung {
  readonly everyMs: number
  readonly keep: number
}

export type RetentionLadder = readonly RetentionRung[]

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

export const DEFAULT_LADDER: RetentionLadder = [
  { everyMs: 15 * MINUTE, keep: 4 },
  { everyMs: HOUR, keep: 24 },
  { everyMs: DAY, keep: 7 },
  { everyMs: 7 * DAY, keep: 4 },
]

/** The automatic snapshots the ladder does not keep, oldest first. */
export function prunedByLadder(snapshots: readonly SnapshotInfo[], ladder: RetentionLadder, now: number): SnapshotInfo[] {
  const autos = snapshots.filter((s) => s.kind === 'auto').sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
  const kept = new Set<string>()
  if (autos[0] !== undefined) kept.add(autos[0].id)
  const recent = now - (ladder[0]?.everyMs ?? 0)
  for (const s of autos) if (s.createdAt > recent) kept.add(s.id)
  for (const rung of ladder) {
    const periods = new Set<number>()
    for (const s of autos) {
      const period = Math.floor(s.createdAt / rung.everyMs)
      if (periods.has(period)) continue
      if (periods.size >= rung.keep) break
      periods.add(period)
      kept.add(s.id)
    }
  }
  return autos.filter((s) => !kept.has(s.id)).reverse()
}
