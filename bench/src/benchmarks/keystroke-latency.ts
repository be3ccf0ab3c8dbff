import * as A from '@automerge/automerge'

import { summarize, type Summary } from '../lib/stats.js'
import type { Stack } from '../stacks/stack.js'

interface TextDoc { content: string }

/**
 * Keystroke to remote apply: A types single characters; each sample is the time from the local change
 * until B's handle holds that character.
 *
 * - `intervalMs: 0`: one keystroke at a time, each waiting for the previous one to arrive (pure latency).
 * - `intervalMs > 0`: keystrokes at a steady typing pace without waiting, as a person types; this is where
 *   a sync throttle shows, because keystrokes arrive while the previous send is still pending.
 */
export async function keystrokeLatency(stack: Stack, edits: number, intervalMs = 0): Promise<Summary> {
  const pair = await stack.pair()
  try {
    const a = pair.a.create<TextDoc>({ content: '' })
    const b = await pair.b.find<TextDoc>(a.url)
    const sent: number[] = []
    const samples: number[] = []
    let seen = 0
    let done!: () => void
    const finished = new Promise<void>((resolve) => { done = resolve })
    const onChange = ({ doc }: { doc: TextDoc }) => {
      const now = performance.now()
      while (seen < doc.content.length && seen < sent.length) samples.push(now - sent[seen++]!)
      if (seen === edits) done()
    }
    b.on('change', onChange)
    const timeout = setTimeout(() => done(), 60_000 + edits * intervalMs)
    for (let i = 0; i < edits; i++) {
      const target = seen + 1
      sent.push(performance.now())
      a.change((d) => A.splice(d, ['content'], i, 0, String.fromCharCode(97 + (i % 26))))
      if (intervalMs > 0) await sleep(intervalMs)
      else await until(() => seen >= target)
    }
    await finished
    clearTimeout(timeout)
    b.off('change', onChange)
    if (samples.length !== edits) throw new Error(`${edits - samples.length} of ${edits} keystrokes never arrived`)
    return summarize(samples)
  } finally {
    await pair.close()
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(condition: () => boolean): Promise<void> {
  const deadline = performance.now() + 10_000
  // setImmediate, not a timer: a 1 ms timer granularity would swamp the figures being measured.
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('keystroke never arrived')
    await new Promise((resolve) => setImmediate(resolve))
  }
}

