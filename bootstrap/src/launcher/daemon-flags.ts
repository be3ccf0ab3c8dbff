import { execFile } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'

/**
 * The flags a daemon's `--help` lists. The relay and the compute peer grow flags while the launcher is in
 * use, so the launcher passes only flags the installed daemon knows and says what it had to leave out,
 * rather than making the daemon fail on an unknown flag.
 */
export async function daemonHelp(cli: string, cacheFile?: string): Promise<DaemonHelp> {
  // Running `--help` loads libp2p (seconds on a busy machine), so the answer is kept next to the data and
  // asked again only when the daemon's build changes.
  const built = statSync(cli, { throwIfNoEntry: false })?.mtimeMs
  if (cacheFile !== undefined) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as { cli?: unknown; built?: unknown; text?: unknown }
      if (cached.cli === cli && cached.built === built && typeof cached.text === 'string') return helpOf(cached.text)
    } catch {
      // no cache yet
    }
  }
  const { text, ok } = await new Promise<{ text: string; ok: boolean }>((resolve) => {
    execFile(process.execPath, [cli, '--help'], { timeout: 30_000, maxBuffer: 1024 * 1024 }, (err, stdout) => resolve({ text: String(stdout), ok: err === null }))
  })
  if (cacheFile !== undefined && ok) {
    try {
      writeFileSync(cacheFile, JSON.stringify({ cli, built, text }) + '\n')
    } catch {
      // a cache only
    }
  }
  return helpOf(text)
}

function helpOf(text: string): DaemonHelp {
  return { text, flags: new Set(text.match(/--[a-z][a-z0-9-]*/g) ?? []) }
}

/** A daemon's `--help` text and the flags it names. */
export interface DaemonHelp {
  text: string
  flags: ReadonlySet<string>
}

/** One flag for a daemon, with why the launcher wants it (shown when the daemon lacks it). */
export interface WantedFlag {
  flag: string
  values: readonly string[]
  /** Without it the daemon cannot start in the local network; otherwise it is left out with a note. */
  required?: boolean
  why: string
}

/** The argv for the flags the daemon knows, and the ones it does not. */
export function daemonArgs(known: ReadonlySet<string>, wanted: readonly WantedFlag[]): { args: string[]; missing: WantedFlag[] } {
  const args: string[] = []
  const missing: WantedFlag[] = []
  for (const w of wanted) {
    if (!known.has(w.flag)) { missing.push(w); continue }
    if (w.values.length === 0) args.push(w.flag)
    for (const v of w.values) args.push(w.flag, v)
  }
  return { args, missing }
}
