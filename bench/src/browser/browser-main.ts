/**
 * `node bench/dist/browser/browser-main.js <keystrokes> <delayMs> <rounds>`: the `browser keystroke` benchmark as a
 * process of its own, so run.ts can start it inside a loopback-only network namespace (loopback-netns.ts).
 * Prints the result as one JSON line; every process it starts is stopped before it exits.
 */
import { browserKeystroke } from './browser-keystroke.js'
import { printResult } from './loopback-netns.js'

const [keystrokes, delayMs, rounds] = process.argv.slice(2).map(Number)
try {
  printResult(await browserKeystroke({ keystrokes: keystrokes ?? 500, delayMs: delayMs ?? 50, rounds: rounds ?? 1 }))
  process.exit(0)
} catch (error) {
  console.error(error)
  process.exit(1)
}
