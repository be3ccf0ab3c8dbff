import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CrdtError, LevelStorageAdapter, StorageFailedError } from '@quire/crdt'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'quire-storage-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values)
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected the operation to reject'),
    (error: unknown) => error,
  )
}

describe('LevelStorageAdapter', () => {
  it('[S15] close lets writes already called finish, then later calls reject with STORAGE_FAILED', async () => {
    const dir = await tempDir()
    const adapter = new LevelStorageAdapter(new ClassicLevel(dir))
    const writes = Array.from({ length: 100 }, (_, i) => adapter.save(['doc', 'incremental', `h${i}`], bytes(i)))
    const closing = adapter.close()
    expect(adapter.closed).toBe(true)
    const late = await rejection(adapter.save(['doc', 'late'], bytes(1)))
    expect(late).toBeInstanceOf(StorageFailedError)
    expect((late as StorageFailedError).code).toBe('STORAGE_FAILED')
    expect((late as StorageFailedError).key).toEqual(['doc', 'late'])
    await Promise.all(writes)
    await closing
    await adapter.close()

    const reopened = new LevelStorageAdapter(new ClassicLevel(dir))
    cleanups.push(() => reopened.close())
    expect(await reopened.loadRange(['doc', 'incremental'])).toHaveLength(100)
    expect(await reopened.load(['doc', 'late'])).toBeUndefined()
  })

  it('[S16] adapters in different sublevels of one database never see each other', async () => {
    const dir = await tempDir()
    const db = new ClassicLevel(dir)
    cleanups.push(() => db.close())
    const docs = new LevelStorageAdapter(db, { sublevel: 'docs', closeDatabase: false })
    const blobs = new LevelStorageAdapter(db, { sublevel: 'blobs', closeDatabase: false })
    await docs.save(['k'], bytes(1))
    await blobs.save(['k'], bytes(2))
    await db.put('plain', 'value')
    expect(await docs.load(['k'])).toStrictEqual(bytes(1))
    expect(await docs.loadRange([])).toStrictEqual([{ key: ['k'], data: bytes(1) }])
    await docs.removeRange([])
    expect(await docs.loadRange([])).toEqual([])
    expect(await blobs.load(['k'])).toStrictEqual(bytes(2))
    await docs.close()
    expect(db.status).toBe('open')
    expect(await db.get('plain')).toBe('value')
  })

  it('[S17] with sync: true every write asks the backend for a synchronous write', async () => {
    for (const sync of [true, false]) {
      const db = new MemoryLevel()
      const spied = db as unknown as Record<'_put' | '_del' | '_batch', (...args: unknown[]) => Promise<void>>
      const put = vi.spyOn(spied, '_put')
      const del = vi.spyOn(spied, '_del')
      const batch = vi.spyOn(spied, '_batch')
      const adapter = new LevelStorageAdapter(db, sync ? { sync: true } : {})
      await adapter.save(['a', '1'], bytes(1))
      await adapter.save(['a', '2'], bytes(2))
      await adapter.remove(['a', '1'])
      await adapter.removeRange(['a'])
      await adapter.close()
      expect(put).toHaveBeenCalledTimes(2)
      expect(del).toHaveBeenCalledTimes(1)
      expect(batch).toHaveBeenCalledTimes(1)
      for (const call of [...put.mock.calls, ...del.mock.calls, ...batch.mock.calls]) {
        expect((call.at(-1) as { sync?: unknown }).sync).toBe(sync)
      }
    }
  })

  it('[S17] a save acknowledged with sync: true survives kill -9 of the process', async () => {
    const dir = await tempDir()
    // A real process over compiled dist/ (run `npx tsc -b` first); it prints each key once its save resolved.
    const script = `
      import { ClassicLevel } from 'classic-level'
      import { LevelStorageAdapter } from '@quire/crdt'
      const adapter = new LevelStorageAdapter(new ClassicLevel(process.argv[1]), { sync: true })
      for (let i = 0; ; i++) {
        await adapter.save(['doc', 'incremental', String(i)], new Uint8Array(2000).fill(i % 251))
        process.stdout.write(i + '\\n')
      }`
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const acknowledged = await new Promise<number>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const lines = out.split('\n').filter(Boolean)
        if (lines.length >= 50) {
          child.kill('SIGKILL')
          resolve(Number(lines.at(-1)))
        }
      })
      child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)))
    })
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)))

    const adapter = new LevelStorageAdapter(new ClassicLevel(dir))
    cleanups.push(() => adapter.close())
    const chunks = await adapter.loadRange(['doc', 'incremental'])
    const saved = new Map(chunks.map((c) => [Number(c.key[2]), c.data]))
    for (let i = 0; i <= acknowledged; i++) {
      expect(saved.get(i)).toStrictEqual(new Uint8Array(2000).fill(i % 251))
    }
  })

  it('[S18] a backend failure rejects with STORAGE_FAILED naming the key and keeping the cause', async () => {
    const dir = await tempDir()
    const holder = new ClassicLevel(dir)
    await holder.open()
    const adapter = new LevelStorageAdapter(new ClassicLevel(dir))
    const error = await rejection(adapter.load(['doc', 'snapshot', 'x']))
    expect(error).toBeInstanceOf(StorageFailedError)
    expect(error).toBeInstanceOf(CrdtError)
    expect((error as StorageFailedError).code).toBe('STORAGE_FAILED')
    expect((error as StorageFailedError).key).toEqual(['doc', 'snapshot', 'x'])
    expect((error as StorageFailedError).message).toContain('["doc","snapshot","x"]')
    // abstract-level wraps the lock error in LEVEL_DATABASE_NOT_OPEN; the message names both.
    expect((error as Error).cause).toBeInstanceOf(Error)
    expect((error as Error).message).toContain('LEVEL_LOCKED')
    await holder.close()
    // The failed open is retried on the next call, which now succeeds.
    await adapter.save(['doc', 'snapshot', 'x'], bytes(5))
    expect(await adapter.load(['doc', 'snapshot', 'x'])).toStrictEqual(bytes(5))
    await adapter.close()
  })

  it('[S18] a database closed behind the adapter\'s back fails with STORAGE_FAILED', async () => {
    const db = new MemoryLevel()
    const adapter = new LevelStorageAdapter(db)
    await adapter.save(['x'], bytes(1))
    await db.close()
    const error = await rejection(adapter.save(['y'], bytes(2)))
    expect((error as StorageFailedError).code).toBe('STORAGE_FAILED')
    expect((error as StorageFailedError).key).toEqual(['y'])
  })

  it('[S19] the database opens on first use, even one that was closed; open() reports a failure early', async () => {
    const db = new MemoryLevel()
    await db.close()
    const adapter = new LevelStorageAdapter(db)
    await adapter.save(['k'], bytes(3))
    expect(db.status).toBe('open')
    expect(await adapter.load(['k'])).toStrictEqual(bytes(3))
    await adapter.close()
    expect(db.status).toBe('closed')

    const dir = await tempDir()
    const holder = new ClassicLevel(dir)
    cleanups.push(() => holder.close())
    await holder.open()
    const locked = new LevelStorageAdapter(new ClassicLevel(dir))
    const error = await rejection(locked.open())
    expect((error as StorageFailedError).code).toBe('STORAGE_FAILED')
    expect((error as StorageFailedError).operation).toBe('open')
  })

  it('[S5] [S6] [S7] for random keys, loadRange and removeRange select exactly the part-wise prefix matches', async () => {
    // Characters that stress the escaping: the terminator, the escape, their escape letters, a lone surrogate.
    const part = fc.string({ unit: fc.constantFrom('a', 'b', '0', '1', 'u', '\u0000', '\u0001', '!', '\ud800', 'é'), maxLength: 3 })
    const key = fc.array(part, { minLength: 1, maxLength: 3 })
    const startsWith = (k: string[], p: string[]): boolean => p.length <= k.length && p.every((x, i) => x === k[i])
    const asSet = (keys: string[][]): string[] => [...new Set(keys.map((k) => JSON.stringify(k)))].sort()
    await fc.assert(
      fc.asyncProperty(fc.array(key, { maxLength: 25 }), fc.array(part, { maxLength: 2 }), async (keys, prefix) => {
        const adapter = new LevelStorageAdapter(new MemoryLevel())
        try {
          await Promise.all(keys.map((k) => adapter.save(k, bytes(k.length))))
          const expected = asSet(keys.filter((k) => startsWith(k, prefix)))
          expect(asSet((await adapter.loadRange(prefix)).map((c) => c.key))).toEqual(expected)
          await adapter.removeRange(prefix)
          expect(asSet((await adapter.loadRange([])).map((c) => c.key))).toEqual(asSet(keys.filter((k) => !startsWith(k, prefix))))
        } finally {
          await adapter.close()
        }
      }),
      { numRuns: process.env.QUIRE_LONG === '1' ? 2000 : 200, seed: 20261123 },
    )
  })

  it('[S20] malformed keys reject with INVALID_ARGUMENT and touch nothing', async () => {
    const adapter = new LevelStorageAdapter(new MemoryLevel())
    cleanups.push(() => adapter.close())
    for (const call of [
      () => adapter.save([], bytes(1)),
      () => adapter.load([]),
      () => adapter.remove([]),
      () => adapter.save(['a', 1 as unknown as string], bytes(1)),
      () => adapter.loadRange(['a', null as unknown as string]),
      () => adapter.save(['a'], 'text' as unknown as Uint8Array),
    ]) {
      const error = await rejection(call())
      expect((error as CrdtError).code).toBe('INVALID_ARGUMENT')
    }
    expect(await adapter.loadRange([])).toEqual([])
  })
})
