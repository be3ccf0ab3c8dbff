import type { StorageAdapterInterface, StorageKey } from '@automerge/automerge-repo'
import { describe, expect, it } from 'vitest'

/** What a storage contract test needs from the storage under test; made afresh for every test. */
export interface StorageAdapterTestContext {
  /** An adapter over an empty store. */
  adapter: StorageAdapterInterface
  /**
   * Closes `adapter` (letting its writes finish) and returns a new adapter over the same data, as a restarted
   * process would see it. Required when the suite is run with `{ reopen: true }`.
   */
  reopen?: () => Promise<StorageAdapterInterface>
  /** Releases everything the setup made (closes the latest adapter, removes temp dirs). */
  teardown?: () => void | Promise<void>
}

/** What the storage under test supports beyond the base contract. */
export interface StorageAdapterTestOptions {
  /** The setup returns `reopen`, and data must survive it ([S11]). */
  reopen?: boolean
}

const MB = 1024 * 1024

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values)
}

/** Deterministic pseudo-random bytes, so a failure reproduces. */
function pattern(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** Index of the first differing byte, or -1; a loop because deep equality over 5 MB is slow. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i
  return a.byteLength === b.byteLength ? -1 : n
}

function sortedKeys(chunks: { key: StorageKey }[]): string[] {
  return chunks.map((c) => JSON.stringify(c.key)).sort()
}

/**
 * Quire's storage contract (rules S1 to S14 of crdt/SPEC.md) for any automerge-repo storage adapter.
 * `setup` runs before each test and must give an adapter over an empty store; its `teardown` runs after.
 */
export function runStorageAdapterTests(
  name: string,
  setup: () => Promise<StorageAdapterTestContext>,
  options: StorageAdapterTestOptions = {},
): void {
  describe(`storage contract: ${name}`, () => {
    function test(title: string, body: (ctx: StorageAdapterTestContext) => Promise<void>, timeout?: number): void {
      it(
        title,
        async () => {
          const ctx = await setup()
          try {
            await body(ctx)
          } finally {
            await ctx.teardown?.()
          }
        },
        timeout,
      )
    }

    test('[S1] loading a key never saved gives undefined', async ({ adapter }) => {
      expect(await adapter.load(['doc', 'snapshot', 'h'])).toBeUndefined()
      expect(await adapter.loadRange(['doc'])).toEqual([])
    })

    test('[S2] a saved value loads back as equal bytes in a plain Uint8Array', async ({ adapter }) => {
      await adapter.save(['doc', 'incremental', 'h1'], bytes(0, 1, 127, 128, 255))
      const loaded = await adapter.load(['doc', 'incremental', 'h1'])
      expect(loaded).toStrictEqual(bytes(0, 1, 127, 128, 255))
      expect(Object.getPrototypeOf(loaded)).toBe(Uint8Array.prototype)
    })

    test('[S3] saving an existing key replaces its value', async ({ adapter }) => {
      await adapter.save(['k'], bytes(1, 2, 3))
      await adapter.save(['k'], bytes(9))
      expect(await adapter.load(['k'])).toStrictEqual(bytes(9))
      expect(await adapter.loadRange(['k'])).toStrictEqual([{ key: ['k'], data: bytes(9) }])
    })

    test('[S4] remove deletes one key, leaves its neighbours, and succeeds on a missing key', async ({ adapter }) => {
      await adapter.save(['d', 'a'], bytes(1))
      await adapter.save(['d', 'b'], bytes(2))
      await adapter.remove(['d', 'a'])
      await adapter.remove(['d', 'never-saved'])
      expect(await adapter.load(['d', 'a'])).toBeUndefined()
      expect(await adapter.loadRange(['d'])).toStrictEqual([{ key: ['d', 'b'], data: bytes(2) }])
    })

    test('[S5] loadRange returns every key that starts with the prefix, with its data, and no other', async ({ adapter }) => {
      await adapter.save(['A', 'sync-state', 'x'], bytes(1))
      await adapter.save(['A', 'snapshot', 'y'], bytes(2))
      await adapter.save(['A', 'sync-state', 'z'], bytes(3))
      await adapter.save(['B', 'sync-state', 'x'], bytes(4))
      await adapter.save(['A'], bytes(5))
      const all = await adapter.loadRange(['A'])
      expect(sortedKeys(all)).toEqual(
        [['A'], ['A', 'snapshot', 'y'], ['A', 'sync-state', 'x'], ['A', 'sync-state', 'z']].map((k) => JSON.stringify(k)).sort(),
      )
      for (const chunk of all) expect(chunk.data).toStrictEqual(await adapter.load(chunk.key))
      const sync = await adapter.loadRange(['A', 'sync-state'])
      expect(sortedKeys(sync)).toEqual([JSON.stringify(['A', 'sync-state', 'x']), JSON.stringify(['A', 'sync-state', 'z'])])
      expect(await adapter.loadRange(['A', 'sync-state', 'x', 'deeper'])).toEqual([])
    })

    test('[S6] a prefix matches whole key parts only', async ({ adapter }) => {
      await adapter.save(['a'], bytes(1))
      await adapter.save(['ab'], bytes(2))
      await adapter.save(['a', 'b'], bytes(3))
      await adapter.save(['a', 'bc'], bytes(4))
      await adapter.save(['a/b'], bytes(5))
      await adapter.save(['a\u0000b'], bytes(6))
      await adapter.save(['', 'a'], bytes(7))
      expect(sortedKeys(await adapter.loadRange(['a']))).toEqual([JSON.stringify(['a']), JSON.stringify(['a', 'b']), JSON.stringify(['a', 'bc'])].sort())
      expect(sortedKeys(await adapter.loadRange(['a', 'b']))).toEqual([JSON.stringify(['a', 'b'])])
      expect(sortedKeys(await adapter.loadRange(['']))).toEqual([JSON.stringify(['', 'a'])])
      expect(sortedKeys(await adapter.loadRange(['a\u0000b']))).toEqual([JSON.stringify(['a\u0000b'])])
    })

    test('[S7] removeRange removes exactly the keys loadRange would return', async ({ adapter }) => {
      const keys: StorageKey[] = [['A', 'sync-state', 'x'], ['A', 'snapshot', 'y'], ['A', 'sync-state', 'z'], ['A', 'sync-stateX', 'q'], ['B', 'sync-state', 'x']]
      for (const [i, key] of keys.entries()) await adapter.save(key, bytes(i))
      await adapter.removeRange(['A', 'sync-state'])
      expect(sortedKeys(await adapter.loadRange([]))).toEqual(
        [['A', 'snapshot', 'y'], ['A', 'sync-stateX', 'q'], ['B', 'sync-state', 'x']].map((k) => JSON.stringify(k)).sort(),
      )
      await adapter.removeRange(['A'])
      expect(await adapter.loadRange(['A'])).toEqual([])
      expect(await adapter.load(['B', 'sync-state', 'x'])).toStrictEqual(bytes(4))
      await adapter.removeRange(['nothing-here'])
    })

    test('[S8] values of 0 bytes and of 5 MB round-trip exactly', async ({ adapter }) => {
      const big = pattern(5 * MB, 42)
      await adapter.save(['empty'], new Uint8Array(0))
      await adapter.save(['big'], big)
      const empty = await adapter.load(['empty'])
      expect(empty).toBeInstanceOf(Uint8Array)
      expect(empty?.byteLength).toBe(0)
      const loaded = await adapter.load(['big'])
      expect(loaded?.byteLength).toBe(big.byteLength)
      expect(firstDifference(loaded!, big)).toBe(-1)
      const range = await adapter.loadRange(['empty'])
      expect(range).toHaveLength(1)
      expect(range[0]!.data?.byteLength).toBe(0)
    }, 30_000)

    test('[S9] key parts may hold any characters, separators and escapes included', async ({ adapter }) => {
      const parts = ['', '\u0000', '\u0001', '\u0001\u0000', '!', '/', '\\', 'ÿ', 'ü', '文字', '🎉', '\uffff', '\ud800', 'a\udc00b', 'x'.repeat(300)]
      const keys: StorageKey[] = parts.flatMap((p, i) => [[p], ['doc', p], [p, 'tail', String(i)]])
      for (const [i, key] of keys.entries()) await adapter.save(key, bytes(i))
      for (const [i, key] of keys.entries()) expect(await adapter.load(key)).toStrictEqual(bytes(i))
      const back = await adapter.loadRange([])
      expect(sortedKeys(back)).toEqual(keys.map((k) => JSON.stringify(k)).sort())
      const docKeys = await adapter.loadRange(['doc'])
      expect(sortedKeys(docKeys)).toEqual(parts.map((p) => JSON.stringify(['doc', p])).sort())
    })

    test('[S10] a thousand keys saved at once are all listed by loadRange', async ({ adapter }) => {
      const n = 1000
      await Promise.all(Array.from({ length: n }, (_, i) => adapter.save(['many', 'incremental', `h${i}`], pattern(64, i + 1))))
      const chunks = await adapter.loadRange(['many'])
      expect(chunks).toHaveLength(n)
      const byKey = new Map(chunks.map((c) => [c.key[2]!, c.data]))
      for (let i = 0; i < n; i++) expect(byKey.get(`h${i}`)).toStrictEqual(pattern(64, i + 1))
      await adapter.removeRange(['many', 'incremental'])
      expect(await adapter.loadRange(['many'])).toEqual([])
    })

    if (options.reopen === true) {
      test('[S11] saved and removed keys stay so after the store is closed and reopened', async (ctx) => {
        expect(ctx.reopen, 'setup must return reopen() when run with { reopen: true }').toBeTypeOf('function')
        await ctx.adapter.save(['doc', 'snapshot', 'a'], pattern(1000, 7))
        await ctx.adapter.save(['doc', 'incremental', 'b'], bytes(2))
        await ctx.adapter.save(['doc', 'incremental', 'c'], bytes(3))
        await ctx.adapter.remove(['doc', 'incremental', 'c'])
        // Not awaited: a write called before close must still be kept.
        const late = ctx.adapter.save(['doc', 'incremental', 'd'], bytes(4))
        const reopened = await ctx.reopen!()
        await late
        expect(await reopened.load(['doc', 'snapshot', 'a'])).toStrictEqual(pattern(1000, 7))
        expect(sortedKeys(await reopened.loadRange(['doc', 'incremental']))).toEqual(
          [JSON.stringify(['doc', 'incremental', 'b']), JSON.stringify(['doc', 'incremental', 'd'])],
        )
      })
    }

    test('[S12] of concurrent saves to one key, the last one called wins', async ({ adapter }) => {
      for (let round = 0; round < 5; round++) {
        const writes = Array.from({ length: 50 }, (_, i) => adapter.save(['race'], pattern(1024 * (i % 7 + 1), round * 100 + i)))
        await Promise.all(writes)
        expect(await adapter.load(['race'])).toStrictEqual(pattern(1024 * (49 % 7 + 1), round * 100 + 49))
      }
      const a = adapter.save(['race2'], bytes(1))
      const b = adapter.remove(['race2'])
      const c = adapter.save(['race2'], bytes(3))
      await Promise.all([a, b, c])
      expect(await adapter.load(['race2'])).toStrictEqual(bytes(3))
    })

    test('[S13] a load or loadRange sees every write called before it, even if not yet resolved', async ({ adapter }) => {
      const saved = adapter.save(['ryw', 'x'], bytes(7))
      const loaded = adapter.load(['ryw', 'x'])
      const removed = adapter.removeRange(['ryw'])
      const ranged = adapter.loadRange(['ryw'])
      const saved2 = adapter.save(['ryw', 'y'], bytes(8))
      const ranged2 = adapter.loadRange(['ryw'])
      await Promise.all([saved, removed, saved2])
      expect(await loaded).toStrictEqual(bytes(7))
      expect(await ranged).toEqual([])
      expect(await ranged2).toStrictEqual([{ key: ['ryw', 'y'], data: bytes(8) }])
    })

    test('[S14] stored bytes are the ones passed at call time; changing a loaded value changes nothing stored', async ({ adapter }) => {
      const data = bytes(1, 2, 3)
      const saving = adapter.save(['own'], data)
      data[0] = 99
      await saving
      const loaded = await adapter.load(['own'])
      expect(loaded).toStrictEqual(bytes(1, 2, 3))
      loaded![1] = 99
      expect(await adapter.load(['own'])).toStrictEqual(bytes(1, 2, 3))
      const [chunk] = await adapter.loadRange(['own'])
      chunk!.data![2] = 99
      expect(await adapter.load(['own'])).toStrictEqual(bytes(1, 2, 3))
    })
  })
}
