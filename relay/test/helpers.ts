import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { Repo, type AutomergeUrl } from '@automerge/automerge-repo'
import { LevelStorageAdapter } from '@quire/crdt'

/** A temporary directory removed by the returned cleanup. */
export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

/** A seeded PRNG (mulberry32), so a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * Opens a stopped relay's database read-write as the relay would (no repair), loads one document from it
 * with automerge-repo and returns its JSON value (undefined if absent), then closes everything.
 */
export async function readStoredDoc<T>(dataDir: string, url: string): Promise<T | undefined> {
  const db = new ClassicLevel<string, Uint8Array>(join(dataDir, 'db'))
  await db.open()
  const repo = new Repo({ storage: new LevelStorageAdapter(db, { sublevel: 'docs', closeDatabase: false }), network: [] })
  try {
    const handle = await repo.find<T>(url as AutomergeUrl, { allowableStates: ['ready', 'unavailable'] })
    return handle.isReady() ? structuredClone(handle.doc()) : undefined
  } finally {
    await repo.shutdown().catch(() => {})
    await db.close()
  }
}

/** Fetches a URL and returns status, content type and body text. */
export async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(url)
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() }
}

/** The value of one Prometheus sample (`name` or `name{labels}`), or undefined. */
export function metricValue(text: string, sample: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(sample + ' ')) return Number(line.slice(sample.length + 1))
  }
  return undefined
}
