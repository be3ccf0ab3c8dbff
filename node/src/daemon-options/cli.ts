import type { CodedError } from '@quire/crdt'

/** What a daemon's CLI should do after reading its options. */
export type DaemonStart<T> = { readonly config: T } | { readonly exitCode: number }

/**
 * The first step of every daemon CLI: resolve the options, print `--help`, or print a config error and
 * its code (exit status 2, so supervisors can tell a bad configuration from a crash). Other errors are
 * bugs and propagate.
 */
export function daemonConfigOrExit<T>(
  command: string,
  resolveConfig: () => { readonly help: boolean; readonly config?: T },
  helpText: () => string,
  errorClass: abstract new (...args: never[]) => CodedError,
): DaemonStart<T> {
  let resolved
  try {
    resolved = resolveConfig()
  } catch (err) {
    if (err instanceof errorClass) {
      process.stderr.write(`${command}: ${err.message}\n(${err.code}; see ${command} --help)\n`)
      return { exitCode: 2 }
    }
    throw err
  }
  if (resolved.help || resolved.config === undefined) {
    process.stdout.write(helpText())
    return { exitCode: 0 }
  }
  return { config: resolved.config }
}
