/**
 * The option table shared by Quire's daemons (relay, compute peer): one table drives the flag parser, the
 * environment variables, the config file's fields and `--help`, so the four never disagree.
 */

/** How an option's value is written and checked. */
export type OptionKind = 'path' | 'string' | 'list' | 'int' | 'bool' | 'choice'

/** One daemon option. */
export interface OptionSpec {
  /** Field name in the config file (camelCase); the flag is its kebab-case, the variable <PREFIX><SNAKE>. */
  readonly key: string
  readonly kind: OptionKind
  /** Shown in `--help`, with the default. */
  readonly help: string
  /** The default as shown in `--help`; `none` when absent. */
  readonly shownDefault?: string
  /** Smallest accepted value of an `int`. */
  readonly min?: number
  /** The accepted values of a `choice`. */
  readonly choices?: readonly string[]
  /** The flag, when it is not the kebab-case of `key` (a repeatable flag named in the singular). */
  readonly flag?: string
  /** How the value is shown in `--help`. */
  readonly placeholder?: string
}

/** A checked option value. */
export type OptionValue = string | string[] | number | boolean

/** `dataDir` -> `--data-dir` (or the option's own `flag`). */
export function optionFlag(options: readonly OptionSpec[], key: string): string {
  return options.find((o) => o.key === key)?.flag ?? '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())
}

/** `dataDir` with prefix `QUIRE_RELAY_` -> `QUIRE_RELAY_DATA_DIR`. */
export function optionEnv(prefix: string, key: string): string {
  return prefix + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase()
}

/** A daemon's `flagName` and `envName`, bound to its table and prefix (its tests and `--help` use them). */
export function optionNames(prefix: string, options: readonly OptionSpec[]): { flagName: (key: string) => string; envName: (key: string) => string } {
  return { flagName: (key) => optionFlag(options, key), envName: (key) => optionEnv(prefix, key) }
}
