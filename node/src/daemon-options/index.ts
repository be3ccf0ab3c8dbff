/**
 * Options of Quire's daemons (relay, compute peer) from flags, environment variables, a JSON config file
 * and defaults, with `--help` generated from the same table. Node only (it reads files): exported from
 * index.ts, not index.browser.ts.
 */
export { type OptionKind, type OptionSpec, type OptionValue, optionEnv, optionFlag, optionNames } from './spec.js'
export { type DaemonOptionsSpec, type ResolvedOptions, parseDaemonFlags, readDaemonConfigFile, readDaemonEnv, resolveDaemonOptions } from './parse.js'
export { type HelpSpec, renderDaemonHelp } from './help.js'
export { jsonErrorOffset, lineAndColumn } from './json-text.js'
export { type DaemonStart, daemonConfigOrExit } from './cli.js'
