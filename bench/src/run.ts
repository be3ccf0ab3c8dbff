/**
 * `npm run bench`: every benchmark, our stack and the peer system side by side in one run.
 * Options: `--only <name>` (substring of a benchmark name), `--quick` (smaller sizes, for a smoke run),
 * `--writers <n>` (`relay typists` at one writer count).
 * Environment: `QUIRE_BENCH_METRICS=1` prints the relay's /metrics after the typing; `QUIRE_BENCH_DUMP=<file>`
 * writes every `relay typists` sample as [sent at (ms from the start), latency, receiver, writer] to `<file>.<stack>.json`;
 * `QUIRE_CPU_PROFILE_DIR=<dir>` profiles every process started through @quire/node/testing.
 */
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { keystrokeLatency } from './benchmarks/keystroke-latency.js'
import { initialSync, type InitialSyncResult } from './benchmarks/initial-sync.js'
import { automergeWebSocket } from './stacks/automerge-ws.js'
import { quireLibp2p } from './stacks/quire-libp2p.js'
import { ms, kib, summarize } from './lib/stats.js'
import { loadAverage, mib } from './lib/proc.js'
import { serverStacks } from './relay/harness.js'
import { relayMemory } from './relay/relay-memory.js'
import { relayTypists, type TypistsResult } from './relay/relay-typists.js'
import { relayPeers } from './relay/relay-peers.js'
import type { Stack } from './stacks/stack.js'
import { computeExecute } from './compute/compute-execute.js'
import { browserKeystrokeOnLoopback } from './browser/browser-keystroke.js'
import { browsersUnavailable } from './browser/browsers.js'
import { workspaceCheckout, workspaceLatency, workspaceRescan } from './workspace/workspace-bench.js'
import { latexRebuild } from './latex/latex-bench.js'
import { snapshotBench } from './snapshots/snapshot-bench.js'
import { terminalBenchmark } from './terminal/report.js'
import { latexUnavailable, synctexJump } from './latex/synctex-jump.js'
import { replicationBench } from './snapshots/replication-bench.js'
import { applyCost, largeTextLatency, localCost, loadedMemory, openTime, textOfSize, withChunkLimit, type TextShape } from './benchmarks/large-text.js'

const args = process.argv.slice(2)
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] ?? '' : ''
const quick = args.includes('--quick')
/** `--writers <n>`: run `relay typists` at this one writer count only (for profiling). */
const writersFlag = args.includes('--writers') ? Number(args[args.indexOf('--writers') + 1]) : undefined
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
    // Time and bytes vary run to run (how many documents the holder announces before the empty peer asks
    // races with its requests), so each stack runs several times, alternating, and the table shows the
    // median and the range.
    const runs = quick ? 1 : 5
    const text = corpus()
    const results = new Map<Stack, InitialSyncResult[]>(stacks.map((s) => [s, []]))
    for (let i = 0; i < runs; i++) {
      for (const stack of stacks) results.get(stack)!.push(await initialSync(stack, count, text))
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const rows = stacks.map((stack) => {
      const rs = results.get(stack)!
      const secs = rs.map((r) => r.seconds)
      const bytes = rs.map((r) => r.wireBytes)
      return [stack.name, String(count), String(runs),
        `${median(secs).toFixed(2)} s (${Math.min(...secs).toFixed(2)} to ${Math.max(...secs).toFixed(2)})`,
        `${kib(median(bytes))} (${kib(Math.min(...bytes))} to ${kib(Math.max(...bytes))})`, kib(rs[0]!.contentBytes)]
    })
    table(`Initial sync of ${count} documents (2 to 4 KB of text each) to an empty peer, median of ${runs} runs (range)`,
      ['stack', 'documents', 'runs', 'time', 'bytes on the wire', 'text content'], rows)
  },
  // Issue 4: the relay against the stock automerge-repo sync server, each in a process of its own.
  'relay memory': async () => {
    const documents = quick ? 200 : 10_000
    const touched = quick ? 50 : 1000
    const idleUnloadMs = quick ? 1000 : 10_000
    const text = corpus()
    for (const stack of serverStacks) {
      const r = await relayMemory(stack, { documents, touched, idleUnloadMs, corpus: text })
      table(`${stack.name}: server RSS hosting ${documents} documents (1 to 3 KB of text each; upload took ${r.uploadSeconds.toFixed(1)} s with ${r.uploadStalls} stalls of 20 s; load ${loadAverage()})`,
        ['step', 'server RSS', 'documents in memory'], r.steps.map((s) => [s.step, mib(s.rss), String(s.loaded)]))
    }
  },
  'relay typists': async () => {
    const seconds = quick ? 5 : 60
    const headline = 16
    const row = (stack: string, r: TypistsResult) => [stack, String(r.writers), String(r.processes), `${r.seconds} s`, String(r.keystrokes),
      String(r.latency.count), ms(r.latency.median), ms(r.latency.p99), ms(r.latency.max), String(r.missing), `${r.serverCpuPercent.toFixed(0)} %`, `${r.clientsCpuPercent.toFixed(0)} %`, mib(r.serverRss),
      r.latency.p99 < 100 && r.missing === 0 ? 'yes' : 'no']
    const header = ['stack', 'writers', 'processes', 'typing', 'keystrokes', 'samples', 'p50', 'p99', 'max', 'missing', 'server CPU', 'clients CPU', 'server RSS', 'p99 < 100 ms']
    const rows: string[][] = []
    let maxOffset = 0
    // Quick: the headline count only. Full: 4, 8, 16, 32 writers, up to the first count that misses the
    // target (16 always runs).
    const counts = writersFlag !== undefined ? [writersFlag] : quick ? [headline] : [4, 8, 16, 32]
    const largest: string[][] = []
    for (const stack of serverStacks) {
      let best = 0
      let failed = false
      for (const writers of counts) {
        if (failed && writers !== headline && writersFlag === undefined) continue
        // The headline count types for the whole duration; the others, within the time budget, for half of it.
        const r = await relayTypists(stack, writers, (quick || writers === headline ? seconds : seconds / 2) * 1000)
        maxOffset = Math.max(maxOffset, r.maxClockOffsetMs)
        rows.push(row(stack.name, r))
        console.error(`[bench] relay typists: ${stack.name}, ${writers} writers: p50 ${ms(r.latency.median)}, p99 ${ms(r.latency.p99)} (load ${loadAverage()})`)
        if (r.latency.p99 < 100 && r.missing === 0) { if (!failed) best = writers } else failed = true
      }
      largest.push([stack.name, best === 0 ? `none (${counts[0]} already misses)` : String(best)])
    }
    table(`Writers typing 6 characters a second into one document through the server (${quick ? seconds : `${headline} writers ${seconds} s, other counts ${seconds / 2}`} s): keystroke to arrival at each other writer (target: p99 < 100 ms; largest clock offset between processes ${maxOffset.toFixed(2)} ms, corrected; load ${loadAverage()})`,
      header, rows)
    table('Largest writer count meeting p99 < 100 ms (counts tried in order, stopping at the first that misses)', ['stack', 'writers'], largest)
  },
  'relay peers': async () => {
    const peers = quick ? 50 : 200
    const rows: string[][] = []
    for (const stack of serverStacks) {
      const r = await relayPeers(stack, peers, quick ? 25 : 50)
      rows.push([stack.name, String(r.peers), String(r.processes), String(r.refused), ms(r.connect.median), ms(r.connect.p99), ms(r.allConnectedMs),
        ms(r.lastAttempt.median), ms(r.lastAttempt.p99), mib(r.rssIdle), mib(r.rssConnected)])
    }
    table(`${peers} peers dial the server at once (a refused dial is retried after 0.2 to 1 s): first dial to open sync link, server RSS (load ${loadAverage()})`,
      ['stack', 'peers', 'processes', 'dials refused', 'median', 'p99', 'all linked', 'successful dial: median', 'successful dial: p99', 'server RSS idle', 'server RSS connected'], rows)
  },
  // Issue 7: a cell through the documents and the compute daemon, against the same kernel over ZeroMQ.
  'compute execute': async () => {
    const r = await computeExecute({ runs: quick ? 20 : 100, pythonColdStarts: quick ? 1 : 3, sageColdStarts: quick ? 1 : 2 })
    const p = (name: string, s: { count: number; median: number; p90: number; p99: number; max: number }) =>
      [name, String(s.count), ms(s.median), ms(s.p90), ms(s.p99), ms(s.max)]
    table(`\`1+1\` on a warm python3 kernel, alternating one run of each (target: median < 30 ms through the document; load ${loadAverage()})`,
      ['path', 'runs', 'median', 'p90', 'p99', 'max'], [
        p('through the document: queued to `running` in the requester\'s copy (pick-up)', r.documentRunning),
        p('through the document: queued to output in the requester\'s copy', r.documentOutput),
        p('through the document: queued to `done` in the requester\'s copy', r.documentDone),
        p('inside the compute peer: its startedAt to finishedAt (its clock, 1 ms steps)', r.inside),
        p('direct ZeroMQ execute (same kernel kind, sandboxed)', r.direct),
      ])
    table(`Kernel cold start to first result (kernelspecs found by the daemon: ${r.kernels.join(', ')}; load ${loadAverage()})`,
      ['kernel', 'code', 'document: queued to output', 'document: queued to done', 'direct: kernel start', 'direct: start + first result'],
      r.cold.map((c) => [c.kernel, `\`${c.code}\``, ms(c.documentOutputMs), ms(c.documentDoneMs), ms(c.directStartMs), ms(c.directFirstResultMs)]))
  },
  // Issue 6: two Chromium processes editing one file of the web app, direct WebRTC against the relay only.
  'browser keystroke': async () => {
    const unavailable = browsersUnavailable()
    if (unavailable !== undefined) { console.log(`\n### browser keystroke: not run (${unavailable})`); return }
    const keystrokes = quick ? 100 : 500
    const delayMs = 50
    const rounds = quick ? 1 : 2
    const r = await browserKeystrokeOnLoopback({ keystrokes, delayMs, rounds })
    table(`Keystroke in browser A (keydown) to the character in browser B's editor DOM, ${keystrokes} keystrokes a run typed with ${delayMs} ms between them, ${rounds} round(s) alternating the two paths after a 50-keystroke warm-up, two Chromium processes and the relay in ${r.network ?? '?'} (target: median < 16 ms over direct WebRTC; page clock offsets up to ${r.maxOffsetMs.toFixed(2)} ms corrected, to within ${r.maxUncertaintyMs.toFixed(2)} ms; load ${loadAverage()})`,
      ['path', 'link (as the app reports it)', 'keystrokes', 'median', 'p90', 'p99', 'max', 'missing', 'to next frame: median', 'to next frame: p99', 'A local echo: median', 'bytes over WebRTC in the run'],
      r.runs.map((x) => [x.path, x.link, String(x.keystrokes), ms(x.latency.median), ms(x.latency.p90), ms(x.latency.p99), ms(x.latency.max), String(x.missing),
        ms(x.toFrame.median), ms(x.toFrame.p99), ms(x.localEcho.median), kib(x.webRtcBytes)]))
    for (const x of r.runs) console.log(`- ${x.path}: WebRTC connections at the end of the run: ${x.webRtc}; B's sync streams in the run: ${x.syncPaths}`)
  },
  // Issue 21: a remote keystroke in a long text, chunked text documents against one Automerge text field.
  'large documents': async () => {
    const text = corpus()
    const sizes: Array<[number, string]> = [[1024, '1 KB'], [10 * 1024, '10 KB'], [100 * 1024, '100 KB'], [1024 * 1024, '1 MB']]
    const keystrokes = quick ? 16 : 64
    const variants: Array<[Stack, TextShape, string]> = [
      [quireLibp2p, 'chunked', 'Quire libp2p, chunked text (ours)'],
      [quireLibp2p, 'single', 'Quire libp2p, one text field (before)'],
      [automergeWebSocket, 'single', 'stock automerge-repo + WebSocket, one text field'],
    ]
    const latency: string[][] = []
    for (const [size, label] of sizes) {
      for (const [stack, shape, name] of variants) {
        const r = await largeTextLatency(stack, shape, textOfSize(text, size), keystrokes, 125)
        latency.push([label, name, String(r.latency.count), ms(r.latency.median), ms(r.latency.p99), ms(r.latency.max), ms(r.firstQuarterMedian), ms(r.lastQuarterMedian), String(r.missing)])
        console.error(`[bench] large documents: ${label} ${name}: median ${ms(r.latency.median)} (load ${loadAverage()})`)
      }
    }
    table(`Remote keystroke latency, Node to Node on loopback, ${keystrokes} keystrokes typed in the middle of the text at 8 a second (a backlog shows as a last-quarter median far above the first; load ${loadAverage()})`,
      ['text', 'stack and shape', 'samples', 'median', 'p99', 'max', 'first quarter median', 'last quarter median', 'missing'], latency)
    const reps = quick ? 10 : 40
    const shapes: TextShape[] = ['chunked', 'single']
    table(`Apply cost of one remote one-character change (Automerge.applyChanges), median of ${reps}, and memory per loaded document (RSS growth per copy, fresh process)`,
      ['text', 'shape', 'apply median', 'apply p99', 'local change median', 'memory per document', 'saved bytes'],
      sizes.flatMap(([size, label]) => shapes.map((shape) => {
        const t = textOfSize(text, size)
        const a = applyCost(shape, t, reps)
        const copies = size >= 1024 * 1024 ? 4 : size >= 100 * 1024 ? 20 : 100
        return [label, shape, ms(a.median), ms(a.p99), ms(localCost(shape, t, reps).median), `${(loadedMemory(shape, t, copies) / 1024).toFixed(0)} KiB`, kib(openTime(shape, t, 1).savedBytes)]
      })))
    const mb = textOfSize(text, 1024 * 1024)
    table('Opening a 1 MB document: Automerge.load of the saved bytes and reading the whole text, median of 5',
      ['shape', 'median', 'max'], shapes.map((shape) => { const o = openTime(shape, mb, 5); return [shape, ms(o.time.median), ms(o.time.max)] }))
    table(`Chunk size (design measurement): 1 MB text, apply cost of one remote keystroke (median of ${reps}), memory per loaded document, open time`,
      ['chunk limit', 'apply median', 'apply p99', 'local change median', 'memory per document', 'open median', 'saved bytes'],
      [512, 1024, 2048, 4096, 8192, 16384].map((limit) => withChunkLimit(limit, () => {
        const a = applyCost('chunked', mb, reps)
        const o = openTime('chunked', mb, 3)
        return [String(limit), ms(a.median), ms(a.p99), ms(localCost('chunked', mb, reps).median), `${(loadedMemory('chunked', mb, 4) / 1024).toFixed(0)} KiB`, ms(o.time.median), kib(o.savedBytes)]
      })))
  },
  // Issue 14: the project's files on disk kept in sync with its documents (compute-peer/src/workspace).
  'workspace': async () => {
    const samples = quick ? 10 : 50
    const l = await workspaceLatency(samples)
    const p = (name: string, xs: number[], target: string, limit: number) => {
      const s = summarize(xs)
      const p95 = [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(0.95 * xs.length) - 1)] ?? NaN
      return [name, String(s.count), ms(s.median), ms(p95), ms(s.max), target, limit === 0 ? '' : p95 < limit ? 'yes' : 'no']
    }
    table(`One-line edit of a 100-line text file, ${samples} samples of each direction alternating, default timing (quiet period 100 ms; load ${loadAverage()})`,
      ['path', 'samples', 'median', 'p95', 'max', 'target', 'met'], [
        p('document to disk: member edit to the bytes in the file', l.docToDisk, 'p95 < 300 ms', 300),
        p('disk to document: file written to the edit in the member\'s document', l.diskToDoc, 'p95 < 500 ms', 500),
        p('floor: the same disk write to the raw @parcel/watcher event', l.watcherFloor, '', 0),
      ])
    const files = quick ? 100 : 1000
    const c = await workspaceCheckout(files)
    table(`\`git checkout\` of a branch changing ${files} files, to every file's new content in a second repo's documents (load ${loadAverage()})`,
      ['files', 'time', 'project changes', 'files read', 'target', 'met'],
      [[String(files), `${c.seconds.toFixed(2)} s`, String(c.projectChanges), String(c.filesRead), '< 5 s', c.seconds < 5 ? 'yes' : 'no']])
    const count = quick ? 10_000 : 100_000
    const texts = quick ? 500 : 2000
    const bin = await workspaceRescan(count, 'binary')
    const txt = await workspaceRescan(texts, 'text')
    const row = (name: string, n: number, f: typeof bin.first, target: boolean) => [name, String(n), `${f.seconds.toFixed(2)} s`, String(f.filesRead), String(f.statOnly), String(f.projectReads), mib(f.rssGrowth), mib(f.heapGrowth), target ? '< 2 s' : '', target ? (f.seconds < 2 ? 'yes' : 'no') : '']
    table(`Start of a workspace over many small files (1,000 per folder; no second repo; load ${loadAverage()})`,
      ['scan', 'files', 'time', 'files read', 'stat only', 'project reads', 'RSS growth', 'heap growth', 'target', 'met'], [
        row('binary files, first scan (each read, hashed, stored as a blob entry)', count, bin.first, false),
        row('binary files, rescan of the unchanged project (restart)', count, bin.unchanged, true),
        row('binary files, restart after a member renamed one file meanwhile', count, bin.memberEdit, false),
        row('text files, first scan (each read and made a text document)', texts, txt.first, false),
        row('text files, rescan of the unchanged project (restart)', texts, txt.unchanged, false),
        row('text files, restart after a member renamed one file meanwhile', texts, txt.memberEdit, false),
      ])
  },
  // Issue 16: a one-character edit to the new PDF in the requester's copy, against latexmk on the same files.
  'latex rebuild': async () => {
    const runs = quick ? 5 : 20
    const r = await latexRebuild(runs)
    const f = (n: number) => `${(n / 1000).toFixed(2)} s`
    const ratio = r.document.median / r.direct.median
    table(`LaTeX rebuild after a one-character edit of a ${r.pages}-page article with a bibliography, ${runs} runs (load ${loadAverage()}; target: p50 < 1.5 s and < 1.3x direct)`,
      ['path', 'median', 'p95', 'max', 'target', 'met'], [
        ['edit in the member\'s copy to the new PDF blob fetched from the compute peer', f(r.document.median), f(r.document.p95), f(r.document.max), '< 1.5 s, < 1.3x', r.document.median < 1500 && ratio < 1.3 ? 'yes' : 'no'],
        ['of which: edit to the compute peer\'s running state (pick-up, workspace writes the file)', f(r.running.median), f(r.running.p95), f(r.running.max), '', ''],
        ['inside the daemon: latexmk in the sandbox (durationMs)', f(r.inside.median), f(r.inside.p95), f(r.inside.max), '', ''],
        ['floor: latexmk run directly on the same files', f(r.direct.median), f(r.direct.p95), f(r.direct.max), '', ''],
        ['ratio of medians (documents / direct)', `${ratio.toFixed(2)}x`, '', '', '< 1.3x', ratio < 1.3 ? 'yes' : 'no'],
      ])
  },
  // Issue 17: snapshots of a project's workspace (compute-peer/src/snapshots), btrfs against copy.
  'snapshots': async () => {
    const files = quick ? 1000 : 10_000
    const fileBytes = 10_000
    const rows = await snapshotBench(files, fileBytes, quick ? 3 : 5)
    const t = (v: number | undefined): string => (v === undefined ? '' : ms(v))
    table(`Snapshots of a project of ${files} files (${(files * fileBytes / 1e6).toFixed(0)} MB, 100 per folder; load ${loadAverage()})`,
      ['setup', 'first snapshot', 'next snapshot (1 file changed, median)', 'restore 1 file', 'restore project (1 % changed, 1 folder gone)', 'restore project (all gone)', 'snapshots hold', 'bare btrfs command', 'btrfs < 50 ms'],
      rows.map((r) => r.skipped !== undefined
        ? [r.setup, `not run: ${r.skipped}`, '', '', '', '', '', '', '']
        : [r.setup, t(r.first), `${t(r.next)} (${r.nextSamples})`, t(r.restoreFile), `${t(r.restoreSome)} (${r.restoreSomeWritten} written)`,
          `${t(r.restoreAll)} (${r.restoreAllWritten} written)`, mib(r.snapshotBytes ?? 0), t(r.bareCommand),
          r.setup === 'btrfs' ? (Math.max(r.first!, r.next!) < 50 ? 'yes' : 'no') : '']))
  },
  // Issue 15: shared terminals through Quire, against node-pty over a plain WebSocket and a local node-pty.
  'terminal': () => terminalBenchmark(quick, table),
  // Issue 16: a SyncTeX jump in the browser, in the web app's own worker, for a 100-page document.
  'synctex jump': async () => {
    const why = browsersUnavailable() ?? latexUnavailable()
    if (why !== undefined) {
      console.log(`\n### SyncTeX jump: skipped (${why})`)
      return
    }
    const jumps = quick ? 50 : 500
    const r = await synctexJump(jumps)
    // Chromium rounds performance.now() to 0.1 ms in a page that is not cross-origin isolated.
    const f = (n: number) => (n < 0.1 ? '< 0.1 ms' : `${n.toFixed(1)} ms`)
    table(`SyncTeX jump in Chromium, the app's worker, a ${r.pages}-page article (${r.records} records, ${kib(r.gzBytes)} gzipped), ${jumps} jumps each way (load ${loadAverage()}; target: < 100 ms)`,
      ['jump', 'median', 'p99', 'max', 'target', 'met'], [
        ['forward: source line to PDF boxes (post to the worker and back)', f(r.forward.median), f(r.forward.p99), f(r.forward.max), '< 100 ms', r.forward.p99 < 100 ? 'yes' : 'no'],
        ['inverse: PDF point to source line', f(r.inverse.median), f(r.inverse.p99), f(r.inverse.max), '< 100 ms', r.inverse.p99 < 100 ? 'yes' : 'no'],
        ['once per build: load (gunzip, parse, index) in the worker', f(r.loadMs), '', '', '', ''],
      ])
  },
  // Issue 17: snapshots replicated to a standby compute peer (compute-peer/src/snapshots/replication).
  'snapshot replication': async () => {
    const files = quick ? 1000 : 10_000
    const bytes = (quick ? 10 : 100) * 1024 * 1024
    const rows = await replicationBench(files, bytes)
    const cell = (t: { bytes: number; ms: number; files?: number } | undefined) => (t === undefined ? ['', ''] : [`${kib(t.bytes)}${t.files === undefined ? '' : ` (${t.files} files)`}`, ms(t.ms)])
    table(`Replication to a standby over /quire/snapshot-replica/1.0.0, a project of ${files} files (${mib(bytes)}): the first push (whole) and the push after one file changed (load ${loadAverage()})`,
      ['driver', 'format', 'full: sent', 'full: time', 'one file changed: sent', 'one file changed: time', 'note'],
      rows.map((r) => [r.driver, r.full?.format ?? '', ...cell(r.full), ...cell(r.increment), r.skipped ?? '']))
  },
}

console.log(`# Quire benchmarks (${new Date().toISOString()}, Node ${process.version}, ${quick ? 'quick' : 'full'} run)`)
for (const [name, run] of Object.entries(benchmarks)) {
  if (only && !name.includes(only)) continue
  await run()
}
process.exit(0)
