import { readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs'
import { QuireCliError } from '../errors.js'
import type { NetworkLayout } from './paths.js'

/** The web app's settings for the local network, merged by the relay into `GET /quire.json`. */
export interface LocalWebConfig {
  /** Peers the web app grants a role to on every project it creates here. */
  autoGrant: Array<{ peerId: string; role: 'compute' | 'relay' }>
  /** System packages the compute peer lacks, what each gives, and the command that adds them all. */
  missing: Array<{ feature: string; gives: string; packages: string[] }>
  /** The command that installs every missing package (empty when nothing is missing). */
  installCommand: string
}

/** What `quire up` runs now, for `quire id` and for people looking at the directory. */
export interface NetworkState {
  launcherPid: number
  url: string
  daemons: Array<{ role: 'relay' | 'compute'; pid: number; peerId: string; addresses: string[] }>
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, text, { mode: 0o600 })
  renameSync(tmp, path)
}

export function writeWebConfig(layout: NetworkLayout, config: LocalWebConfig): void {
  writeAtomically(layout.webConfig, JSON.stringify(config, null, 2) + '\n')
}

export function writeNetworkState(layout: NetworkLayout, state: NetworkState): void {
  writeAtomically(layout.state, JSON.stringify(state, null, 2) + '\n')
}

/** The state of a running `quire up` in this directory, or undefined if none runs. */
export function readNetworkState(layout: NetworkLayout): NetworkState | undefined {
  try {
    const state = JSON.parse(readFileSync(layout.state, 'utf8')) as NetworkState
    return typeof state.launcherPid === 'number' && isAlive(state.launcherPid) && Array.isArray(state.daemons) ? state : undefined
  } catch {
    return undefined
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Claims the data directory for this process (`up.pid`). A lock left by a launcher that is gone (killed,
 * machine rebooted) is taken over; one held by a live launcher is an error that says what to do.
 */
export function claimDataDir(layout: NetworkLayout): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(layout.lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 })
      return () => {
        try {
          if (readFileSync(layout.lock, 'utf8').trim() === String(process.pid)) rmSync(layout.lock)
        } catch {
          // already gone
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new QuireCliError('QUIRE_DATA_DIR_UNAVAILABLE', `cannot write ${layout.lock} (${(err as Error).message}); choose another directory with --data-dir`)
      }
    }
    const holder = Number.parseInt(readFileSync(layout.lock, 'utf8').trim(), 10)
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new QuireCliError('QUIRE_DATA_DIR_IN_USE',
        `another \`quire up\` (pid ${holder}) is running on ${layout.dataDir}; stop it (Ctrl-C in its terminal, or kill ${holder}), or use another --data-dir`)
    }
    rmSync(layout.lock, { force: true })
  }
  throw new QuireCliError('QUIRE_DATA_DIR_IN_USE', `could not claim ${layout.lock}; is another \`quire up\` starting at the same time?`)
}
