import type { AutomergeUrl } from '@automerge/automerge-repo'
import type { Stack } from '../stacks/stack.js'

export interface InitialSyncResult {
  readonly documents: number
  readonly seconds: number
  readonly wireBytes: number
  readonly contentBytes: number
}

/**
 * Initial sync: A holds `count` text documents of a few KB each (slices of a real editing trace's text, so
 * they compress like prose); an empty B asks for all of them. Time from B's first request to the last
 * document loaded with A's heads, and every byte carried on the TCP connection meanwhile.
 */
export async function initialSync(stack: Stack, count: number, corpus: string): Promise<InitialSyncResult> {
  const urls: AutomergeUrl[] = []
  let contentBytes = 0
  const pair = await stack.pair({
    countBytes: true,
    async prepare(a) {
      for (let i = 0; i < count; i++) {
        const start = (i * 997) % Math.max(1, corpus.length - 4096)
        const content = corpus.slice(start, start + 2048 + (i % 2048))
        contentBytes += Buffer.byteLength(content)
        urls.push(a.create({ content, index: i }).url)
      }
    },
  })
  try {
    const before = pair.wireBytes()
    const started = performance.now()
    const handles = await Promise.all(urls.map((url) => pair.b.find(url)))
    const seconds = (performance.now() - started) / 1000
    for (const [i, handle] of handles.entries()) {
      const doc = handle.doc() as { index?: number } | undefined
      if (doc?.index !== i) throw new Error(`document ${i} arrived incomplete`)
    }
    return { documents: count, seconds, wireBytes: pair.wireBytes() - before, contentBytes }
  } finally {
    await pair.close()
  }
}
