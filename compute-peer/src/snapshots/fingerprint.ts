/**
 * Whether the workspace changed on disk since a snapshot (N10): a digest of every path with its type, size,
 * time and mode (the workspace's own temporary names left out). Files the documents do not hold (ignored
 * build outputs, `.git/`) count too: a snapshot covers the whole workspace.
 */
import { createHash } from 'node:crypto'
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { TEMP_DIR, TEMP_PREFIX } from '../workspace/disk-io.js'

export async function treeFingerprint(dir: string): Promise<string> {
  const hash = createHash('sha256')
  const walk = async (path: string, rel: string): Promise<void> => {
    const names = (await readdir(path).catch(() => [] as string[])).sort()
    for (const name of names) {
      if (name.startsWith(TEMP_PREFIX) || (rel === '' && name === TEMP_DIR)) continue
      const child = join(path, name)
      const s = await lstat(child).catch(() => undefined)
      if (s === undefined) continue
      const type = s.isDirectory() ? 'd' : s.isFile() ? 'f' : s.isSymbolicLink() ? 'l' : 'o'
      hash.update(`${rel}${name}\0${type}\0${s.isDirectory() ? 0 : s.size}\0${s.isDirectory() ? 0 : s.mtimeMs}\0${s.mode}\n`)
      if (s.isDirectory()) await walk(child, `${rel}${name}/`)
    }
  }
  await walk(dir, '')
  return hash.digest('hex')
}
