import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The checkout (or installed copy) of Quire this `quire` command belongs to: the folder above
 * `bootstrap/` whose package.json lists the workspaces. Bootstrap starts the relay and the compute peer
 * from their built `dist/` as processes and never imports them, so it finds them through this folder.
 */
export function quireRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from)
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && existsSync(join(dir, 'bootstrap'))) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown }
        if (Array.isArray(parsed.workspaces)) return dir
      } catch {
        // not the root manifest; keep walking up
      }
    }
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`cannot find the Quire checkout above ${from}`)
    dir = parent
  }
}

/** Entry points of the daemons and the web app inside a Quire checkout. */
export interface QuireBuild {
  root: string
  relayCli: string
  computeCli: string
  webDist: string
}

export function quireBuild(root: string = quireRoot()): QuireBuild {
  return {
    root,
    relayCli: join(root, 'relay', 'dist', 'cli.js'),
    computeCli: join(root, 'compute-peer', 'dist', 'cli.js'),
    webDist: join(root, 'web', 'dist'),
  }
}

/** Where the local network keeps its state, under one data directory (`.quire/` by default). */
export interface NetworkLayout {
  dataDir: string
  relayDir: string
  computeDir: string
  /** Merged by the relay into `GET /quire.json`, which the web app reads. */
  webConfig: string
  /** What runs now (pids, peer ids, addresses), for `quire id`; removed on a clean stop. */
  state: string
  /** The pid of the `quire up` that owns this directory. */
  lock: string
}

export const DEFAULT_DATA_DIR = '.quire'

export function networkLayout(dataDir: string, cwd = process.cwd()): NetworkLayout {
  const dir = resolve(cwd, dataDir)
  return {
    dataDir: dir,
    relayDir: join(dir, 'relay'),
    computeDir: join(dir, 'compute'),
    webConfig: join(dir, 'web-config.json'),
    state: join(dir, 'network.json'),
    lock: join(dir, 'up.pid'),
  }
}
