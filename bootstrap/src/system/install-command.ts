import type { FeatureStatus } from './detect.js'

/** The Debian packages of some features, in table order, without repeats. */
export function packagesOf(statuses: readonly FeatureStatus[]): string[] {
  return [...new Set(statuses.flatMap((s) => s.feature.packages))]
}

/**
 * The exact command that installs `packages` on Debian or Ubuntu, for a person to paste: with `sudo` when
 * they are not root. `apt-get update` first, because a fresh machine has no package lists.
 */
export function installCommand(packages: readonly string[], asRoot: boolean): string {
  if (packages.length === 0) return ''
  const sudo = asRoot ? '' : 'sudo '
  return `${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${packages.join(' ')}`
}

/** Whether this process runs as root (false where there are no uids). */
export function runningAsRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0
}
