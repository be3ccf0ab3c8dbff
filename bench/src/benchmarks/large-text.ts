/**
 * Issue 21, large documents: a remote keystroke in a long text, Quire's chunked text document
 * (crdt/SPEC.md T8 to T20) against one Automerge text field (today's shape, and what stock automerge-repo
 * apps use). Everything here runs in Node:
 *
 * - `largeTextLatency`: keystroke to remote apply between two repos on loopback, typing in the middle of the
 *   text at a steady pace without waiting;
 * - `applyCost`: the time `Automerge.applyChanges` takes for one remote one-character change;
 * - `loadedMemory`: resident memory per loaded document, measured in a fresh process per shape and size
 *   (Automerge's wasm memory never shrinks, so figures taken one after another in one process would hide
 *   each other);
 * - `openTime`: `Automerge.load` of the saved document plus reading its whole text.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as A from '@automerge/automerge'
import type { DocHandle } from '@automerge/automerge-repo'
import { createText, readText, setTextChunkLimit, spliceText, type TextDoc } from '@quire/crdt'
import { summarize, type Summary } from '../lib/stats.js'
import type { Stack } from '../stacks/stack.js'

/** `chunked`: a Quire text document; `single`: one Automerge text field `content`, as before issue 21. */
export type TextShape = 'chunked' | 'single'

/** `size` code units of `corpus`, repeated as needed. */
export function textOfSize(corpus: string, size: number): string {
  let out = ''
  while (out.length < size) out += corpus.slice(0, size - out.length)
  return out
}

/** The document in one shape, as an Automerge document. */
export function buildDoc(shape: TextShape, text: string): A.Doc<unknown> {
  return shape === 'chunked' ? createText(text) : A.from({ content: text })
}

function type(shape: TextShape, doc: unknown, index: number, ch: string): void {
  if (shape === 'chunked') spliceText(doc as TextDoc, index, 0, ch)
  else A.splice(doc as A.Doc<{ content: string }>, ['content'], index, 0, ch)
}

function textOf(shape: TextShape, doc: unknown): string {
  if (shape === 'single') return (doc as { content: string }).content
  const read = readText(doc)
  if (!read.ok) throw read.error
  return read.value.content
}

/** What {@link largeTextLatency} measured. */
export interface LargeTextLatency {
  readonly latency: Summary
  /** Median latency of the last quarter of the keystrokes: far above the first quarter's, a backlog builds. */
  readonly lastQuarterMedian: number
  readonly firstQuarterMedian: number
  readonly missing: number
}

/**
 * A types `keystrokes` characters into the middle of a text of `text.length` code units, one every
 * `intervalMs`, without waiting; each sample is the time from A's change until B's document has it.
 */
export async function largeTextLatency(stack: Stack, shape: TextShape, text: string, keystrokes: number, intervalMs: number): Promise<LargeTextLatency> {
  const pair = await stack.pair()
  try {
    const a = pair.a.import<unknown>(A.save(buildDoc(shape, text)))
    const b: DocHandle<unknown> = await pair.b.find<unknown>(a.url)
    await b.whenReady()
    const deadline = performance.now() + 120_000
    while (!A.equals(A.getHeads(b.doc() as A.Doc<unknown>), A.getHeads(a.doc() as A.Doc<unknown>))) {
      if (performance.now() > deadline) throw new Error('B never received the whole document')
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    const sent: Array<{ at: number; heads: A.Heads }> = []
    const samples: number[] = []
    let seen = 0
    const onChange = (): void => {
      const now = performance.now()
      const doc = b.doc() as A.Doc<unknown>
      while (seen < sent.length && A.hasHeads(doc, sent[seen]!.heads)) samples.push(now - sent[seen++]!.at)
    }
    b.on('change', onChange)
    const middle = Math.floor(text.length / 2)
    for (let i = 0; i < keystrokes; i++) {
      const at = performance.now()
      a.change((d) => type(shape, d, middle + i, String.fromCharCode(97 + (i % 26))))
      sent.push({ at, heads: A.getHeads(a.doc() as A.Doc<unknown>) })
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (performance.now() - at))))
    }
    const end = performance.now() + 60_000
    while (seen < keystrokes && performance.now() < end) await new Promise((resolve) => setTimeout(resolve, 5))
    b.off('change', onChange)
    const expected = textOf(shape, a.doc())
    if (seen === keystrokes && textOf(shape, b.doc()) !== expected) throw new Error('B ended with another text than A')
    const quarter = Math.max(1, Math.floor(samples.length / 4))
    return {
      latency: summarize(samples),
      firstQuarterMedian: summarize(samples.slice(0, quarter)).median,
      lastQuarterMedian: summarize(samples.slice(-quarter)).median,
      missing: keystrokes - samples.length,
    }
  } finally {
    await pair.close()
  }
}

/** Median time of `Automerge.applyChanges` for one remote one-character change, typed in the middle. */
export function applyCost(shape: TextShape, text: string, reps: number): Summary {
  let sender = A.load<unknown>(A.save(buildDoc(shape, text)))
  let receiver = A.load<unknown>(A.save(sender))
  const samples: number[] = []
  const middle = Math.floor(text.length / 2)
  for (let i = 0; i < reps; i++) {
    sender = A.change(sender, (d) => type(shape, d, middle + i, 'x'))
    const change = A.getLastLocalChange(sender)!
    const start = performance.now()
    ;[receiver] = A.applyChanges(receiver, [change])
    samples.push(performance.now() - start)
  }
  return summarize(samples)
}

/** Median time of one local one-character change (`Automerge.change` with the shape's splice), typed in the middle. */
export function localCost(shape: TextShape, text: string, reps: number): Summary {
  let doc = A.load<unknown>(A.save(buildDoc(shape, text)))
  const samples: number[] = []
  const middle = Math.floor(text.length / 2)
  for (let i = 0; i < reps; i++) {
    const start = performance.now()
    doc = A.change(doc, (d) => type(shape, d, middle + i, 'x'))
    samples.push(performance.now() - start)
  }
  return summarize(samples)
}

/** Median time to load the saved document and read its whole text. */
export function openTime(shape: TextShape, text: string, reps: number): { time: Summary; savedBytes: number } {
  const bytes = A.save(buildDoc(shape, text))
  const samples: number[] = []
  for (let i = 0; i < reps; i++) {
    const start = performance.now()
    const doc = A.load<unknown>(bytes)
    if (textOf(shape, doc).length !== text.length) throw new Error('the loaded text differs')
    samples.push(performance.now() - start)
  }
  return { time: summarize(samples), savedBytes: bytes.length }
}

/**
 * Resident memory per loaded document: a fresh Node process loads `copies` copies of the saved document
 * (each its own Automerge document, its text read once, as an editor does) and reports its RSS growth.
 */
export function loadedMemory(shape: TextShape, text: string, copies: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'quire-large-text-'))
  try {
    const file = join(dir, 'doc.bin')
    writeFileSync(file, A.save(buildDoc(shape, text)))
    const automerge = import.meta.resolve('@automerge/automerge')
    const crdt = import.meta.resolve('@quire/crdt')
    const script = `
      import * as A from ${JSON.stringify(automerge)}
      import { readText } from ${JSON.stringify(crdt)}
      import { readFileSync } from 'node:fs'
      const bytes = readFileSync(${JSON.stringify(file)})
      A.load(bytes) // warm up wasm and the module
      const before = process.memoryUsage().rss
      const docs = []
      for (let i = 0; i < ${copies}; i++) {
        const doc = A.load(bytes)
        ${shape === 'chunked' ? 'readText(doc)' : 'void doc.content.length'}
        docs.push(doc)
      }
      console.log(String((process.memoryUsage().rss - before) / docs.length))
    `
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../../..', import.meta.url)) })
    return Number(out.toString().trim())
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs `fn` with the chunk limit set to `limit`. */
export function withChunkLimit<T>(limit: number, fn: () => T): T {
  const previous = setTextChunkLimit(limit)
  try {
    return fn()
  } finally {
    setTextChunkLimit(previous)
  }
}
