/**
 * A full walk of the workspace directory: every path the disk side should look at, without following links
 * and without descending into ignored directories (`.git/` may hold 100,000 files).
 */
import { promises as fs, type Dirent } from 'node:fs'
import { join } from 'node:path'
import type { IgnoreRules } from './names.js'

/** What the walk found: files and other non-directories, and the directories that are empty. */
export interface ScanResult {
  readonly paths: string[]
  readonly emptyDirs: string[]
}

/** Walks `root`, or only its folder `under`; paths are relative to `root` either way (ignore rules see them so). */
export async function scanWorkspace(root: string, rules: IgnoreRules, under = ''): Promise<ScanResult> {
  const paths: string[] = []
  const emptyDirs: string[] = []
  const walk = async (rel: string): Promise<void> => {
    let dirents: Array<Dirent<Buffer>>
    try {
      // The entries' types come with the listing (no lstat per file: a rescan of 100,000 files is listings only).
      dirents = await fs.readdir(rel === '' ? root : join(root, rel), { encoding: 'buffer', withFileTypes: true })
    } catch (err) {
      // A directory whose path is too long for the system is reported as one path (WORKSPACE_PATH_TOO_LONG).
      if ((err as NodeJS.ErrnoException).code === 'ENAMETOOLONG' && rel !== '') paths.push(rel)
      return // gone meanwhile, or unreadable: the paths below it are looked at when they change
    }
    let kept = 0
    for (const dirent of dirents) {
      const raw = dirent.name
      // A name that is not UTF-8 decodes with U+FFFD, which the name check refuses (WORKSPACE_BAD_NAME).
      const name = raw.toString('utf8')
      const path = rel === '' ? name : `${rel}/${name}`
      // Bytes that are not UTF-8 decode to U+FFFD, so only such names need the (allocating) comparison.
      if (name.includes('\uFFFD') && !Buffer.from(name, 'utf8').equals(raw)) {
        paths.push(path) // reported, never descended into: the decoded name is not the name on disk
        kept++
        continue
      }
      const isDir = dirent.isDirectory()
      if (rules.ignores(path, isDir)) continue
      kept++
      if (isDir) await walk(path)
      else paths.push(path)
    }
    if (kept === 0 && rel !== '') emptyDirs.push(rel)
  }
  await walk(under)
  return { paths, emptyDirs }
}
