/**
 * The workspace's atomic write against a program writing the same file: the asynchronous check before the
 * rename takes thread-pool round trips (milliseconds on a loaded machine), and a save made in that time must
 * not be overwritten.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, promises as fs, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashOf, hashOfSync, sha256Hex, writeAtomic } from '../../src/workspace/disk-io.js'

let dir: string | undefined
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('workspace: atomic writes racing a program', () => {
  it('[W34] a save (temporary file renamed over) or an append made after the asynchronous check and before the rename is not overwritten', async () => {
    dir = mkdtempSync(join(tmpdir(), 'quire-ws-io-'))
    const file = join(dir, 'a.txt')
    const temp = join(dir, '.quire-tmp')
    const expected = sha256Hex(bytes('old\n'))
    const now = (): boolean => {
      const hash = hashOfSync(file, 1024 * 1024)
      return hash === null || hash === expected
    }
    for (const program of [
      async () => {
        await fs.writeFile(join(dir!, '.a.txt.swp'), 'old\nsaved\n')
        await fs.rename(join(dir!, '.a.txt.swp'), file)
      },
      async () => fs.appendFile(file, 'appended\n'),
    ]) {
      await fs.writeFile(file, 'old\n')
      const before = await fs.readFile(file, 'utf8')
      // The program writes right after the asynchronous check found the file as expected.
      const written = await writeAtomic(file, bytes('from the document\n'), temp, async () => {
        const same = (await hashOf(file)) === expected
        await program()
        return same
      }, now)
      expect(written).toBe(false)
      expect(await fs.readFile(file, 'utf8')).not.toBe(before)
      expect(await fs.readFile(file, 'utf8')).not.toBe('from the document\n')
    }
    // Unchanged, the write goes through; a file too large to read without yielding is left to the first check.
    await fs.writeFile(file, 'old\n')
    expect(await writeAtomic(file, bytes('new\n'), temp, async () => (await hashOf(file)) === expected, now)).toBe(true)
    expect(await fs.readFile(file, 'utf8')).toBe('new\n')
    expect(hashOfSync(file, 2)).toBeNull()
    expect(hashOfSync(join(dir, 'missing'), 2)).toBeUndefined()
    expect((await fs.readdir(temp)).length).toBe(0)
  })
})
