import { spawn } from 'node:child_process'
import { SYSTEM_FEATURES, type FeatureCheck, type SystemFeature } from './features.js'

/** A feature and whether it works on this machine. */
export interface FeatureStatus {
  feature: SystemFeature
  present: boolean
  /** The first check that failed, e.g. `latexmk -v: not found`. */
  reason?: string
}

export interface DetectOptions {
  /** Environment the checks run in (its PATH finds the programs). Default: this process's. */
  env?: NodeJS.ProcessEnv
  /** Features to check. Default: all of them. */
  features?: readonly SystemFeature[]
  /** A check that does not answer within this is counted as failed. Default 10 s. */
  timeoutMs?: number
  /** Replaces a check's command, e.g. the system Python in tests. */
  commandFor?: (check: FeatureCheck) => string
}

function runCheck(check: FeatureCheck, options: DetectOptions): Promise<string | undefined> {
  const command = options.commandFor?.(check) ?? check.command
  const shown = [check.command, ...check.args].join(' ')
  return new Promise((resolve) => {
    // Our own timer rather than spawn's `timeout`: that one is not cleared when the program is not found,
    // and kept `quire setup` waiting for it to fire.
    const child = spawn(command, [...check.args], { env: options.env ?? process.env, stdio: 'ignore' })
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 10_000)
    const done = (reason: string | undefined): void => { clearTimeout(timer); resolve(reason) }
    child.once('error', (err: NodeJS.ErrnoException) => done(`${shown}: ${err.code === 'ENOENT' ? 'not found' : err.message}`))
    child.once('exit', (code, signal) => done(code === 0 ? undefined : `${shown}: ${signal !== null ? `killed by ${signal}` : `exit status ${code}`}`))
  })
}

/** Runs every feature's checks (in parallel: some start a Python interpreter) and says what works. */
export async function detectSystemFeatures(options: DetectOptions = {}): Promise<FeatureStatus[]> {
  const features = options.features ?? SYSTEM_FEATURES
  return Promise.all(features.map(async (feature): Promise<FeatureStatus> => {
    const failures = await Promise.all(feature.checks.map((c) => runCheck(c, options)))
    const reason = failures.find((f) => f !== undefined)
    return reason === undefined ? { feature, present: true } : { feature, present: false, reason }
  }))
}

/** The features that are missing and not optional. */
export function missingFeatures(statuses: readonly FeatureStatus[], withOptional = false): FeatureStatus[] {
  return statuses.filter((s) => !s.present && (withOptional || s.feature.optional !== true))
}
