/** How snapshots read in the panel: their title, who took them, sizes. */
import type { SnapshotInfo } from '@quire/node'

const REASONS: Record<string, string> = {
  interval: 'Automatic',
  'before-restore': 'Before a restore',
}

/** A named snapshot's name, else why the compute peer took it. */
export function snapshotTitle(s: SnapshotInfo): string {
  if (s.kind === 'named') return s.name ?? 'Named snapshot'
  return REASONS[s.reason ?? ''] ?? `Automatic (${s.reason ?? 'no reason recorded'})`
}

/** "by Ana" for a snapshot a person asked for; automatic interval snapshots are the compute peer's. */
export function snapshotBy(s: SnapshotInfo, nameOf: (peer: string) => string): string {
  return s.by === undefined ? 'by the compute peer' : `by ${nameOf(s.by)}`
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString()
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`
}

/** Bytes that decode as UTF-8 without NUL are shown as text; anything else is offered as a size only. */
export function asText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}

export const WRITERS_ONLY = 'Only writers can take snapshots and restore; you can list and browse them. Ask an admin for the writer role.'
