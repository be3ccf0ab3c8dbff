/**
 * `npm run bench`: every benchmark, our stack and the peer system side by side in one run.
 * Options: `--only <name>` (substring of a benchmark name), `--quick` (smaller sizes, for a smoke run).
 */
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { keystrokeLatency } from './benchmarks/keystroke-latency.js'
import { initialSync } from './benchmarks/initial-sync.js'
import { automergeWebSocket } from './stacks/automerge-ws.js'
import { quireLibp2p } from './stacks/quire-libp2p.js'
import { ms, kib } from './lib/stats.js'
import type { Stack } from './stacks/stack.js'

const args = process.argv.slice(2)
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] ?? '' : ''
const quick = args.includes('--quick')
const stacks: Stack[] = [quireLibp2p, automergeWebSocket]

function corpus(): string {
  const path = fileURLToPath(new URL('../../../shared/data/editing-traces/seph-blog1.json.gz', import.meta.url))
  return (JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as { endContent: string }).endContent
}

function table(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  console.log(`\n### ${title}\n`)
  console.log(line(header))
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`)
  for (const row of rows) console.log(line(row))
}

const benchmarks: Record<string, () => Promise<void>> = {
  'keystroke latency': async () => {
    const edits = quick ? 100 : 1000
    for (const [intervalMs, label] of [[0, 'each keystroke waits for the previous one to arrive'], [25, 'typing at 40 keystrokes a second without waiting']] as const) {
      const rows: string[][] = []
      for (const stack of stacks) {
        const s = await keystrokeLatency(stack, edits, intervalMs)
        rows.push([stack.name, String(s.count), ms(s.median), ms(s.p99), ms(s.max)])
      }
      table(`Keystroke to remote apply, two Node peers on loopback, ${edits} single-character edits, ${label} (target: median < 5 ms, p99 < 20 ms)`,
        ['stack', 'edits', 'median', 'p99', 'max'], rows)
    }
  },
  'initial sync': async () => {
    const count = quick ? 100 : 1000
    const text = corpus()
    const rows: string[][] = []
    for (const stack of stacks) {
      const r = await initialSync(stack, count, text)
      rows.push([stack.name, String(r.documents), `${r.seconds.toFixed(2)} s`, kib(r.wireBytes), kib(r.contentBytes)])
    }
    table(`Initial sync of ${count} documents (2 to 4 KB of text each) to an empty peer`,
      ['stack', 'documents', 'time', 'bytes on the wire', 'text content'], rows)
  },
}

console.log(`# Quire benchmarks (${new Date().toISOString()}, Node ${process.version}, ${quick ? 'quick' : 'full'} run)`)
for (const [name, run] of Object.entries(benchmarks)) {
  if (only && !name.includes(only)) continue
  await run()
}
process.exit(0)
